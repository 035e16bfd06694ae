package io.wslfleet.orchestrator.dashboard;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.wslfleet.orchestrator.ops.FleetStatistics;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tells open dashboards that something changed. Once a second a cheap fingerprint of the fleet state
 * ({@link FleetStatistics#changeFingerprint}) is read; when it differs, a {@code change} event goes to every
 * connected page, which re-fetches what it shows. Only while a page is connected: the fingerprint counts the
 * machines, which is a scan of the table (about 50 ms a second at a million machines) that nobody needs when no
 * dashboard is open. Browsers' EventSource reconnects by itself after a lost connection; a comment every 15 s keeps
 * proxies from closing an idle one.
 */
@ApplicationScoped
@Path("/ui/events")
public class LiveUpdates {

    private final BroadcastProcessor<String> changes = BroadcastProcessor.create();
    /** The fingerprint last read; null while nobody listens, so the first reading after a page connects is a change. */
    private volatile String last;
    private final AtomicInteger listening = new AtomicInteger();

    @Inject
    FleetStatistics statistics;

    @Inject
    io.wslfleet.orchestrator.ops.ScheduledWork scheduledWork;

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void probe() {
        if (listening.get() == 0) {
            last = null;
            return;
        }
        scheduledWork.run(() -> QuarkusTransaction.requiringNew().run(this::compare));
    }

    private void compare() {
        String now = statistics.changeFingerprint();
        if (!now.equals(last)) {
            last = now;
            changes.onNext("change");
        }
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> events() {
        Multi<String> keepAlive = Multi.createFrom().ticks().every(Duration.ofSeconds(15)).map(t -> "ping");
        return Multi.createBy().merging().streams(changes, keepAlive)
                .onSubscription().invoke(listening::incrementAndGet)
                .onTermination().invoke(listening::decrementAndGet);
    }
}
