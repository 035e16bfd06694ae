package io.wslfleet.orchestrator.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * The periodic jobs that use the database (outbox relay, rollout ticks, metrics, retention) run through this gate, so
 * that a stopping orchestrator ends them before the database goes: at shutdown (first of all shutdown observers) the
 * scheduler stops firing, the gate closes to new runs and waits for the running ones; only then do Hibernate and the
 * connection pool close. Without it a job fired during shutdown met a closed EntityManagerFactory, for seconds.
 */
@ApplicationScoped
public class ScheduledWork {
    private static final Logger LOG = Logger.getLogger(ScheduledWork.class);
    private static final long DRAIN_MILLIS = 10_000;

    @Inject
    Scheduler scheduler;

    private boolean closed;
    private int running;

    /** Runs {@code job} unless the orchestrator is stopping. */
    public void run(Runnable job) {
        synchronized (this) {
            if (closed) {
                return;
            }
            running++;
        }
        try {
            job.run();
        } finally {
            synchronized (this) {
                running--;
                notifyAll();
            }
        }
    }

    /** Whether a job that loops should stop after this round. */
    public synchronized boolean stopping() {
        return closed;
    }

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        scheduler.pause();
        long until = System.currentTimeMillis() + DRAIN_MILLIS;
        synchronized (this) {
            closed = true;
            while (running > 0 && System.currentTimeMillis() < until) {
                try {
                    wait(Math.max(1, until - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (running > 0) {
                LOG.warnf("%d scheduled jobs still running after %d ms of shutdown", running, DRAIN_MILLIS);
            }
        }
    }
}
