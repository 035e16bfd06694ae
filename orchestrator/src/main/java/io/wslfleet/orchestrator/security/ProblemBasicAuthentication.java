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
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * HTTP Basic, with its 401 challenge carrying a problem-details body like every other error of the API (Quarkus's
 * own Basic mechanism, switched off with {@code quarkus.http.auth.basic=false}, answers a request without
 * credentials with an empty body). The challenge header stays, so a browser still asks for credentials.
 *
 * <p>With single sign-on on, this mechanism still comes first (a request with Basic credentials is a configured
 * user's; one with a bearer token falls through to OIDC), and answers every unauthenticated request of the API; the
 * dashboard's pages ({@code quarkus.oidc.dashboard.tenant-paths}) it leaves to the OIDC code flow, which sends the
 * browser to the identity provider instead.
 */
@ApplicationScoped
public class ProblemBasicAuthentication implements HttpAuthenticationMechanism {
    private final BasicAuthenticationMechanism basic = new BasicAuthenticationMechanism("wsl-fleet", false);

    @ConfigProperty(name = "quarkus.oidc.dashboard.tenant-enabled", defaultValue = "false")
    boolean dashboardSignOn;

    @ConfigProperty(name = "quarkus.oidc.dashboard.tenant-paths")
    Optional<List<String>> dashboardPaths;

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
        if (dashboardSignOn && isDashboardPage(context.normalizedPath())) {
            return Uni.createFrom().item(false);
        }
        if (!context.response().headWritten()) {
            JsonObject body = new JsonObject().put("type", "about:blank").put("title", "Unauthorized")
                    .put("status", 401).put("detail", AuthFailureProblems.SIGN_IN)
                    .put("instance", context.normalizedPath());
            context.response().setStatusCode(401).putHeader("WWW-Authenticate", AuthFailureProblems.challengeFor(context))
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

    /** Above OIDC's mechanism ({@code DEFAULT_PRIORITY + 1}), so its challenge is the API's. */
    @Override
    public int getPriority() {
        return DEFAULT_PRIORITY + 100;
    }

    private boolean isDashboardPage(String path) {
        for (String pattern : dashboardPaths.orElse(List.of())) {
            boolean matches = pattern.endsWith("/*")
                    ? path.startsWith(pattern.substring(0, pattern.length() - 1))
                    : path.equals(pattern);
            if (matches) {
                return true;
            }
        }
        return false;
    }
}
