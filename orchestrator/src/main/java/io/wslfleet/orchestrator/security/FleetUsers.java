package io.wslfleet.orchestrator.security;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.UsernamePasswordAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.wslfleet.orchestrator.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sandbox's and small installations' users, from configuration: {@code admin}, {@code operator}, {@code viewer}.
 * Each has the role it is named after, with the roles below it ({@link FleetRoles}). Passwords are compared in constant time.
 */
@ApplicationScoped
public class FleetUsers implements IdentityProvider<UsernamePasswordAuthenticationRequest> {
    private static final Logger LOG = Logger.getLogger(FleetUsers.class);

    /** Each user is named after its role. */
    private static final String ADMIN = FleetRoles.ADMIN;
    private static final String OPERATOR = FleetRoles.OPERATOR;
    private static final String VIEWER = FleetRoles.VIEWER;

    @Inject
    FleetConfig config;

    private volatile Map<String, byte[]> passwords;

    void onStart(@Observes StartupEvent event) {
        users();
    }

    private Map<String, byte[]> users() {
        if (passwords == null) {
            synchronized (this) {
                if (passwords == null) {
                    Map<String, byte[]> users = new LinkedHashMap<>();
                    String admin = config.security().adminPassword().filter(p -> !p.isBlank()).orElseGet(() -> {
                        byte[] random = new byte[12];
                        new SecureRandom().nextBytes(random);
                        String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                        LOG.warnf("No FLEET_ADMIN_PASSWORD set: generated admin password: %s", generated);
                        return generated;
                    });
                    users.put(ADMIN, admin.getBytes(StandardCharsets.UTF_8));
                    put(users, OPERATOR, config.security().operatorPassword());
                    put(users, VIEWER, config.security().viewerPassword());
                    passwords = Map.copyOf(users);
                }
            }
        }
        return passwords;
    }

    private static void put(Map<String, byte[]> users, String name, Optional<String> password) {
        password.filter(p -> !p.isBlank()).ifPresent(p -> users.put(name, p.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public Class<UsernamePasswordAuthenticationRequest> getRequestType() {
        return UsernamePasswordAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(UsernamePasswordAuthenticationRequest request,
                                              AuthenticationRequestContext context) {
        byte[] expected = users().get(request.getUsername());
        byte[] given = new String(request.getPassword().getPassword()).getBytes(StandardCharsets.UTF_8);
        if (expected == null || !MessageDigest.isEqual(expected, given)) {
            return Uni.createFrom().failure(new AuthenticationFailedException("unknown user or wrong password"));
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(request.getUsername()))
                .addRoles(FleetRoles.grantedBy(request.getUsername()))
                .build());
    }
}
