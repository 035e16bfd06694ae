package io.wslfleet.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.wslfleet.orchestrator.bus.TableRetention;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.TestAgent;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.Health;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tables that grew with every event stay bounded: heartbeats leave no processed-event row, unchanged health no
 * history row, and retention deletes sent outbox rows and processed-event rows past the retry horizon, while an old
 * event delivered again after its row is gone still changes nothing (its agent's epoch and sequence guard it).
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class RetentionTest {
    private static final int HEARTBEATS = 150;

    @Inject
    TableRetention retention;
    @Inject
    EntityManager em;

    @Test
    void rowsPerMachineStayBoundedAndAnEventDeliveredAgainAfterPruningChangesNothing() {
        TestAgent agent = new TestAgent(Fixtures.unique("bounded") + "/dev");
        String system = Fixtures.systemPath(Fixtures.unique("bounded"));
        ProducerRecord<String, byte[]> firstRegistration = agent.record(
                agent.registration(Map.of("site", "old"), List.of(), Fixtures.enrolmentToken()));
        TestBus.send(firstRegistration);
        TestBus.send(agent.record(agent.registration(Map.of("site", "new"), List.of(), null)));
        List<String> heartbeatIds = new ArrayList<>();
        for (int i = 0; i < HEARTBEATS; i++) {
            ProducerRecord<String, byte[]> heartbeat = agent.record(new AgentHeartbeat(agent.id, agent.next(),
                    new Health("NixOS", "running", List.of(), 1, system, Instant.now())));
            heartbeatIds.add(id(heartbeat));
            TestBus.send(heartbeat);
        }
        long last = 2 + HEARTBEATS;
        awaitSequence(agent.id, last);

        // two registrations logged, no heartbeat; one history row for health that never changed
        assertThat(count("select count(*) from processed_event where event_id = any (cast(?1 as text[]))",
                heartbeatIds.toArray(String[]::new))).isZero();
        assertThat(count("select count(*) from processed_event where event_id = ?1", id(firstRegistration)))
                .isEqualTo(1);
        assertThat(count("select count(*) from health_report where machine_id = ?1", agent.id)).isEqualTo(1);

        // the registration's row ages past the horizon and is pruned
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("update processed_event "
                        + "set processed_at = ?1 where event_id = ?2")
                .setParameter(1, Timestamp.from(Instant.now().minus(retention.retryHorizon()).minusSeconds(60)))
                .setParameter(2, id(firstRegistration)).executeUpdate());
        retention.apply();
        assertThat(count("select count(*) from processed_event where event_id = ?1", id(firstRegistration)))
                .isZero();

        // delivered again, the first registration and a stale heartbeat reporting a failure change nothing
        TestBus.send(firstRegistration);
        TestBus.send(agent.record(new AgentHeartbeat(agent.id, last - 10,
                new Health("NixOS", "degraded", List.of("docker.service"), 1, system, Instant.now()))));
        TestBus.send(agent.record(new AgentHeartbeat(agent.id, agent.next(),
                new Health("NixOS", "running", List.of(), 1, system, Instant.now()))));
        awaitSequence(agent.id, last + 1);
        Object[] machine = QuarkusTransaction.requiringNew().call(() -> (Object[]) em.createNativeQuery(
                "select labels ->> 'site', health_state from machine where id = ?1").setParameter(1, agent.id)
                .getSingleResult());
        assertThat(machine[0]).isEqualTo("new");
        assertThat(machine[1]).isEqualTo("healthy");
        assertThat(count("select count(*) from health_report where machine_id = ?1", agent.id)).isEqualTo(1);
    }

    @Test
    void sentOutboxRowsGoAfterTheirRetentionAndRecentOnesStay() {
        String key = Fixtures.unique("outbox") + "/dev";
        Instant now = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> {
            // sent long ago and a moment ago (an unsent row has no sent_at: the pruning's condition never holds)
            insertOutbox(key, "old-sent", now.minus(1, ChronoUnit.HOURS), now.minus(50, ChronoUnit.MINUTES));
            insertOutbox(key, "recent-sent", now.minus(1, ChronoUnit.MINUTES), now.minus(30, ChronoUnit.SECONDS));
        });
        retention.apply();
        @SuppressWarnings("unchecked")
        List<String> left = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "select event_id from outbox where msg_key = ?1 order by id").setParameter(1, key).getResultList());
        assertThat(left).containsExactly(key + "-recent-sent");
    }

    private void insertOutbox(String key, String name, Instant created, Instant sent) {
        em.createNativeQuery("insert into outbox (topic, msg_key, event_id, headers, payload, created_at, sent_at) "
                        + "values ('fleet.retention-test', ?1, ?2, '{}', ?3, ?4, ?5)")
                .setParameter(1, key).setParameter(2, key + "-" + name)
                .setParameter(3, name.getBytes(StandardCharsets.UTF_8))
                .setParameter(4, Timestamp.from(created)).setParameter(5, Timestamp.from(sent)).executeUpdate();
    }

    private static String id(ProducerRecord<String, byte[]> record) {
        return new String(record.headers().lastHeader(CloudEventHeaders.ID).value(), StandardCharsets.UTF_8);
    }

    private long count(String sql, Object parameter) {
        return QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(sql)
                .setParameter(1, parameter).getSingleResult()).longValue());
    }

    private void awaitSequence(String agent, long sequence) {
        await().atMost(Duration.ofSeconds(60)).until(() -> QuarkusTransaction.requiringNew().call(() -> {
            List<?> seen = em.createNativeQuery("select last_sequence from machine where id = ?1")
                    .setParameter(1, agent).getResultList();
            return !seen.isEmpty() && ((Number) seen.get(0)).longValue() >= sequence;
        }));
    }
}
