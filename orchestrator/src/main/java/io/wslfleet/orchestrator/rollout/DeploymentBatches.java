package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.machine.HealthState;
import io.wslfleet.orchestrator.machine.HealthStateColumn;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A wave's deployments read and changed as sets, one statement each whatever the wave's size: the pending ones with
 * their machine's current system in one query, and their new states from arrays ({@code unnest}). Entities would
 * cost a row object, a dirty check and a statement per deployment: seconds for a wave of 100,000.
 */
@ApplicationScoped
public class DeploymentBatches {
    /** The machine's health column read as its entity reads it. */
    private static final HealthStateColumn HEALTH = new HealthStateColumn();

    @Inject
    EntityManager em;

    /** A pending deployment and what its machine runs now (all null when the machine row is gone). */
    public record Pending(long id, String machineId, Integer currentGeneration, String currentSystemPath,
                          HealthState healthState) {
    }

    /** A pending deployment that is being commanded. */
    public record Commanded(long id, String commandId, Integer previousGeneration, String previousSystemPath) {
    }

    /** How many of the wave's deployments are pending, counting no further than {@code limit}. */
    @Transactional(Transactional.TxType.MANDATORY)
    public int countPending(long rolloutId, int wave, int limit) {
        return ((Number) em.createNativeQuery("select count(*) from (select 1 from deployment where rollout_id = ?1 "
                        + "and wave = ?2 and state = 'PENDING' limit ?3) as p")
                .setParameter(1, rolloutId).setParameter(2, wave).setParameter(3, limit)
                .getSingleResult()).intValue();
    }

    /** The wave's first {@code limit} pending deployments in id order, with their machines' current systems. */
    @Transactional(Transactional.TxType.MANDATORY)
    public List<Pending> pending(long rolloutId, int wave, int limit) {
        em.flush(); // joiners persisted in this transaction are pending too
        return session().doReturningWork(connection -> {
            try (PreparedStatement select = connection.prepareStatement("select d.id, d.machine_id, "
                    + "m.current_generation, m.current_system_path, m.health_state from deployment d "
                    + "left join machine m on m.id = d.machine_id "
                    + "where d.rollout_id = ? and d.wave = ? and d.state = 'PENDING' order by d.id limit ?")) {
                select.setLong(1, rolloutId);
                select.setInt(2, wave);
                select.setInt(3, limit);
                List<Pending> pending = new ArrayList<>(limit);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        int read = rows.getInt(3);
                        Integer generation = rows.wasNull() ? null : read; // asked right after its own column
                        pending.add(new Pending(rows.getLong(1), rows.getString(2), generation, rows.getString(4),
                                HEALTH.convertToEntityAttribute(rows.getString(5))));
                    }
                }
                return pending;
            }
        });
    }

    /** Pending deployments whose machines run the release already, healthy: succeeded without a command. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void succeedAlreadyCurrent(List<Long> ids, String systemPath, Instant now) {
        if (ids.isEmpty()) {
            return;
        }
        session().doWork(connection -> {
            try (PreparedStatement update = connection.prepareStatement("update deployment set state = 'SUCCEEDED', "
                    + "reason = 'ALREADY_CURRENT', reported_system_path = ?, finished_at = ?, updated_at = ? "
                    + "where id = any (?) and state = 'PENDING'")) {
                Timestamp at = Timestamp.from(now);
                update.setString(1, systemPath);
                update.setTimestamp(2, at);
                update.setTimestamp(3, at);
                update.setArray(4, connection.createArrayOf("bigint", ids.toArray()));
                expect(update.executeUpdate(), ids.size());
            }
        });
    }

    /**
     * Pending deployments commanded now, in one statement; fails (rolling back the caller's transaction, commands
     * included) should any of them no longer be pending, so a deployment is never commanded twice.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void command(List<Commanded> commanded, Instant now, Instant deadline) {
        if (commanded.isEmpty()) {
            return;
        }
        session().doWork(connection -> {
            try (PreparedStatement update = connection.prepareStatement("update deployment d set "
                    + "state = 'COMMANDED', command_id = u.command_id, previous_generation = u.generation, "
                    + "previous_system_path = u.system_path, commanded_at = ?, deadline_at = ?, updated_at = ? "
                    + "from unnest(?::bigint[], ?::text[], ?::integer[], ?::text[]) "
                    + "as u(id, command_id, generation, system_path) where d.id = u.id and d.state = 'PENDING'")) {
                Timestamp at = Timestamp.from(now);
                update.setTimestamp(1, at);
                update.setTimestamp(2, Timestamp.from(deadline));
                update.setTimestamp(3, at);
                update.setArray(4, array(connection, "bigint", commanded.stream().map(Commanded::id).toArray()));
                update.setArray(5, array(connection, "text", commanded.stream().map(Commanded::commandId).toArray()));
                update.setArray(6, array(connection, "integer",
                        commanded.stream().map(Commanded::previousGeneration).toArray()));
                update.setArray(7, array(connection, "text",
                        commanded.stream().map(Commanded::previousSystemPath).toArray()));
                expect(update.executeUpdate(), commanded.size());
            }
        });
    }

    /** Every machine's deployment, wave by wave, in one statement from two arrays. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void insertPending(long rolloutId, List<String> machineIds, List<Integer> waveSizes, Instant now) {
        Integer[] waves = new Integer[machineIds.size()];
        int index = 0;
        for (int wave = 0; wave < waveSizes.size(); wave++) {
            for (int i = 0; i < waveSizes.get(wave); i++) {
                waves[index++] = wave;
            }
        }
        session().doWork(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("insert into deployment "
                    + "(rollout_id, machine_id, wave, state, updated_at) "
                    + "select ?, t.machine_id, t.wave, 'PENDING', ? from unnest(?::text[], ?::integer[]) "
                    + "as t(machine_id, wave)")) {
                insert.setLong(1, rolloutId);
                insert.setTimestamp(2, Timestamp.from(now));
                insert.setArray(3, array(connection, "text", machineIds.toArray()));
                insert.setArray(4, array(connection, "integer", waves));
                insert.executeUpdate();
            }
        });
    }

    private static java.sql.Array array(Connection connection, String type, Object[] values) throws SQLException {
        return connection.createArrayOf(type, values);
    }

    private static void expect(int changed, int expected) throws SQLException {
        if (changed != expected) {
            throw new SQLException(expected + " deployments were pending when read, " + changed
                    + " when changed: another decision took some; this one rolls back");
        }
    }

    private Session session() {
        return em.unwrap(Session.class);
    }
}
