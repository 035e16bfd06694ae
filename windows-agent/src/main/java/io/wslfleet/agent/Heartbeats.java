package io.wslfleet.agent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** A heartbeat every period plus up to a fifth of it as jitter, so thousands of agents do not beat in step. */
final class Heartbeats {

    private static final Logger LOG = Logger.getLogger(Heartbeats.class.getName());

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-heartbeat");
        t.setDaemon(true);
        return t;
    });

    void start(Duration period, Runnable beat) {
        long ms = Math.max(1, period.toMillis());
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                beat.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "heartbeat failed", e);
            }
        }, ThreadLocalRandom.current().nextLong(ms / 5 + 1), ms + ThreadLocalRandom.current().nextLong(ms / 5 + 1),
                TimeUnit.MILLISECONDS);
    }

    void close() {
        scheduler.shutdownNow();
    }
}
