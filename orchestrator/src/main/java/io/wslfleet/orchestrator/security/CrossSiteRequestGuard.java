package io.wslfleet.orchestrator.security;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.wslfleet.orchestrator.api.Problem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Set;

/**
 * Refuses state-changing requests that a page of another site could make with the user's cached credentials. A
 * cross-site form or image can send only "simple" requests: no custom header and a form content type
 * ({@code text/plain}, {@code application/x-www-form-urlencoded}, {@code multipart/form-data}), and a request with
 * {@code application/json} or a custom header needs a CORS preflight this server never grants. So a POST, PUT, PATCH
 * or DELETE passes only with {@code Content-Type: application/json}, or with the header {@value #HEADER} (what a
 * script or the CLI sends on a bodyless action), or htmx's {@code HX-Request} (what the dashboard's buttons send).
 */
@ApplicationScoped
public class CrossSiteRequestGuard {
    public static final String HEADER = "X-Fleet-Request";
    private static final Set<HttpMethod> CHANGING = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
            HttpMethod.DELETE);

    void register(@Observes Filters filters) {
        // before authentication, so a refused cross-site request never even reaches the credentials check
        filters.register(this::check, 1000);
    }

    private void check(RoutingContext ctx) {
        if (!CHANGING.contains(ctx.request().method()) || mayChange(ctx)) {
            ctx.next();
            return;
        }
        JsonObject body = new JsonObject().put("type", "about:blank").put("title", "Forbidden").put("status", 403)
                .put("detail", "a state-changing request needs Content-Type: application/json or the " + HEADER
                        + " header (a page of another site can send neither)")
                .put("instance", ctx.normalizedPath());
        ctx.response().setStatusCode(403).putHeader("Content-Type", Problem.MEDIA_TYPE).end(body.encode());
    }

    private static boolean mayChange(RoutingContext ctx) {
        String contentType = ctx.request().getHeader("Content-Type");
        if (contentType != null && contentType.toLowerCase().startsWith("application/json")) {
            return true;
        }
        return ctx.request().getHeader(HEADER) != null || "true".equals(ctx.request().getHeader("HX-Request"));
    }
}
