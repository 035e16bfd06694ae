package io.wslfleet.orchestrator.security;

import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.wslfleet.orchestrator.api.ErrorPages;
import io.wslfleet.orchestrator.api.Problem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * 401 and 403 as problem details, like every other error of the API. Authentication and the path permissions run
 * before any resource (proactive authentication), so their failures reach the HTTP router, not the JAX-RS exception
 * mappers; the 401 keeps its Basic challenge so that a browser still asks for credentials.
 */
@ApplicationScoped
public class AuthFailureProblems {
    static final String CHALLENGE = "Basic realm=\"wsl-fleet\", charset=\"UTF-8\"";
    static final String BEARER_REFUSED = "Bearer error=\"invalid_token\"";
    static final String SIGN_IN = "sign in: this needs a user of the fleet (HTTP Basic or single sign-on)";

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (ctx.response().headWritten()) {
            ctx.next();
            return;
        }
        if (failure instanceof AuthenticationFailedException || failure instanceof UnauthorizedException
                || failure instanceof AuthenticationCompletionException) {
            ctx.response().putHeader("WWW-Authenticate", challengeFor(ctx));
            respond(ctx, 401, "Unauthorized", SIGN_IN);
        } else if (failure instanceof ForbiddenException) {
            respond(ctx, 403, "Forbidden", FleetRoles.ROLES_NEEDED);
        } else {
            ctx.next();
        }
    }

    /** A role check of a resource ({@code @RolesAllowed}), after the path permissions let the request in. */
    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return Response.status(403).type(Problem.MEDIA_TYPE)
                .entity(new Problem("about:blank", "Forbidden", 403, FleetRoles.ROLES_NEEDED, uri.getPath(), null))
                .build();
    }

    /** A refused bearer token is answered as RFC 6750 says; anything else with the Basic challenge. */
    static String challengeFor(RoutingContext ctx) {
        String authorization = ctx.request().getHeader("Authorization");
        boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
        return bearer ? BEARER_REFUSED : CHALLENGE;
    }

    private static void respond(RoutingContext ctx, int status, String title, String detail) {
        if (ErrorPages.forBrowser(ctx.normalizedPath(), ctx.request().getHeader("Accept"))) {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html;charset=UTF-8")
                    .end(ErrorPages.html(new Problem("about:blank", title, status, detail, ctx.normalizedPath(), null)));
            return;
        }
        JsonObject body = new JsonObject().put("type", "about:blank").put("title", title).put("status", status)
                .put("detail", detail).put("instance", ctx.normalizedPath());
        ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE).end(body.encode());
    }
}
