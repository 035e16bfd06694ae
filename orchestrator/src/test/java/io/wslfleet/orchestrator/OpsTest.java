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
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

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
    void metricsExposeRolloutsDeploymentsMachinesAndTheOutboxBacklog() {
        given().get("/q/metrics").then().statusCode(401);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD).get("/q/metrics")
                        .then().statusCode(200)
                        .body(containsString("fleet_rollouts{state=\"RUNNING\"}"))
                        .body(containsString("fleet_deployments{state=\"SUCCEEDED\"}"))
                        .body(containsString("fleet_machines{health=\"healthy\"}"))
                        .body(containsString("fleet_outbox_backlog")));
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
}
