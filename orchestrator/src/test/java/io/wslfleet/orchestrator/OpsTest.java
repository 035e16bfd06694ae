package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.wslfleet.orchestrator.ops.FleetMetrics;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.TestAgent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.Health;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Health checks for Kafka and the database, Prometheus metrics, and the health-history retention. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class OpsTest {

    @Inject
    FleetMetrics metrics;
    @Inject
    EntityManager em;

    @BeforeEach
    void noDefaultCredentials() {
        RestAssured.authentication = RestAssured.DEFAULT_AUTH;
    }

    @Test
    void readinessCoversKafkaAndTheDatabase() {
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("Kafka connection health check"))
                .body(containsString("Database connections health check"));
    }

    @Test
    void metricsExposeRolloutsDeploymentsMachinesTheOutboxBacklogLatencyAndConsumerLag() {
        given().get("/q/metrics").then().statusCode(401);
        TestAgent agent = new TestAgent(Fixtures.unique("metrics") + "/dev").enrol(Map.of(), List.of());
        agent.send(new AgentHeartbeat(agent.id, agent.next(),
                new Health("NixOS", "running", List.of(), 1, Fixtures.systemPath("metrics"), Instant.now())));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD).get("/q/metrics")
                        .then().statusCode(200)
                        .body(containsString("fleet_rollouts{state=\"RUNNING\"}"))
                        .body(containsString("fleet_deployments{state=\"SUCCEEDED\"}"))
                        .body(containsString("fleet_machines{health=\"healthy\"}"))
                        .body(containsString("fleet_outbox_backlog"))
                        .body(containsString("fleet_events_latency_seconds{topic=\"fleet.agent-events\",quantile=\"0.99\"}"))
                        .body(containsString("kafka_consumer_fetch_manager_records_lag_max{client_id=\"kafka-consumer-fleet.agent-events\"")));
    }

    @Test
    void healthReportsPastTheRetentionAreDeletedAndRecentOnesKept() {
        String machine = Fixtures.unique("retention") + "/dev";
        Instant now = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("""
                    insert into machine (id, machine_id, windows_user, labels, health_state, last_sequence, registered_at, last_seen_at)
                    values (?1, ?1, 'dev', '{}', 'healthy', 0, ?2, ?2)""")
                    .setParameter(1, machine).setParameter(2, Timestamp.from(now)).executeUpdate();
            for (Instant at : new Instant[] {now.minus(40, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS)}) {
                em.createNativeQuery("insert into health_report (machine_id, reported_at, state) values (?1, ?2, 'running')")
                        .setParameter(1, machine).setParameter(2, Timestamp.from(at)).executeUpdate();
            }
        });
        assertThat(metrics.purgeHealthReports()).isGreaterThanOrEqualTo(1);
        long left = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from health_report where machine_id = ?1").setParameter(1, machine)
                .getSingleResult()).longValue());
        assertThat(left).isEqualTo(1);
    }

    @Test
    void healthHistoryKeepsEveryChangeAndASampleNotEveryHeartbeat() {
        TestAgent test = new TestAgent(Fixtures.unique("history") + "/dev").enrol(Map.of(), List.of());
        String agent = test.id;
        String system = Fixtures.systemPath(Fixtures.unique("history"));
        long seq = 2;
        for (String state : List.of("running", "running", "running", "degraded", "degraded", "running")) {
            List<String> failed = state.equals("degraded") ? List.of("docker.service") : List.of();
            test.send(new AgentHeartbeat(agent, seq++,
                    new Health("NixOS", state, failed, 1, system, Instant.now())));
        }
        awaitSequence(agent, 7);
        // the first report, the change to degraded and the change back: not one row per heartbeat
        assertThat(reportStates(agent)).containsExactly("healthy", "degraded", "healthy");

        // unchanged health is sampled again once the interval has passed since the last report
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                        "update machine set health_reported_at = health_reported_at - interval '2 hours' where id = ?1")
                .setParameter(1, agent).executeUpdate());
        test.send(new AgentHeartbeat(agent, 8,
                new Health("NixOS", "running", List.of(), 1, system, Instant.now())));
        test.send(new AgentHeartbeat(agent, 9,
                new Health("NixOS", "running", List.of(), 1, system, Instant.now())));
        awaitSequence(agent, 9);
        assertThat(reportStates(agent)).containsExactly("healthy", "degraded", "healthy", "healthy");
    }

    private void awaitSequence(String agent, long sequence) {
        await().atMost(Duration.ofSeconds(30)).until(() -> QuarkusTransaction.requiringNew().call(() -> {
            List<?> seen = em.createNativeQuery("select last_sequence from machine where id = ?1")
                    .setParameter(1, agent).getResultList();
            return !seen.isEmpty() && ((Number) seen.get(0)).longValue() >= sequence;
        }));
    }

    @SuppressWarnings("unchecked")
    private List<String> reportStates(String agent) {
        return QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                        "select state from health_report where machine_id = ?1 order by id")
                .setParameter(1, agent).getResultList());
    }
}
