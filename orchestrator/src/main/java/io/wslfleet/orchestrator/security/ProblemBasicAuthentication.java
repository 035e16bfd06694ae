package io.wslfleet.orchestrator.security;

import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.BasicAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.wslfleet.orchestrator.api.Problem;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/**
 * HTTP Basic, with its 401 challenge carrying a problem-details body like every other error of the API (Quarkus's
 * own Basic mechanism, switched off with {@code quarkus.http.auth.basic=false}, answers a request without
 * credentials with an empty body). The challenge header stays, so a browser still asks for credentials.
 */
@ApplicationScoped
public class ProblemBasicAuthentication implements HttpAuthenticationMechanism {
    private final BasicAuthenticationMechanism basic = new BasicAuthenticationMechanism("wsl-fleet", false);

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        return basic.authenticate(context, identityProviderManager);
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", AuthFailureProblems.CHALLENGE));
    }

    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        if (!context.response().headWritten()) {
            JsonObject body = new JsonObject().put("type", "about:blank").put("title", "Unauthorized")
                    .put("status", 401).put("detail", AuthFailureProblems.SIGN_IN)
                    .put("instance", context.normalizedPath());
            context.response().setStatusCode(401).putHeader("WWW-Authenticate", AuthFailureProblems.CHALLENGE)
                    .putHeader("Content-Type", Problem.MEDIA_TYPE).end(body.encode());
        }
        return Uni.createFrom().item(true);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return basic.getCredentialTypes();
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return basic.getCredentialTransport(context);
    }

    @Override
    public int getPriority() {
        return basic.getPriority();
    }
}
