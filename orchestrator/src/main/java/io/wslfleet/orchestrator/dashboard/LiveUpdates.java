package io.wslfleet.orchestrator.dashboard;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

import java.time.Duration;

/**
 * Tells open dashboards that something changed. Once a second a cheap fingerprint of the fleet state (audit log,
 * deployments, machines, releases and builds) is read; when it differs, a {@code change} event goes to every
 * connected page, which re-fetches what it shows. Browsers' EventSource reconnects by itself after a lost
 * connection; a comment every 15 s keeps proxies from closing an idle one.
 */
@ApplicationScoped
@Path("/ui/events")
public class LiveUpdates {

    private final BroadcastProcessor<String> changes = BroadcastProcessor.create();
    private volatile String last = "";

    @Inject
    EntityManager em;

    @Inject
    io.wslfleet.orchestrator.ops.ScheduledWork scheduledWork;

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void probe() {
        scheduledWork.run(() -> io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(this::compare));
    }

    private void compare() {
        Object[] row = (Object[]) em.createNativeQuery("""
                select (select coalesce(max(id), 0) from audit_log),
                       (select count(*) || ':' || coalesce(max(last_seen_at)::text, '') from machine),
                       (select count(*) || ':' || coalesce(max(updated_at)::text, '') from deployment),
                       (select count(*) from release),
                       (select count(*) || ':' || coalesce(max(updated_at)::text, '') from build)
                """).getSingleResult();
        String now = row[0] + "|" + row[1] + "|" + row[2] + "|" + row[3] + "|" + row[4];
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
        return Multi.createBy().merging().streams(changes, keepAlive);
    }
}
