package io.wslfleet.orchestrator.security;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.wslfleet.orchestrator.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A signed-in user's fleet roles from their token: Quarkus OIDC puts the values of the configured role claim into the
 * identity's roles; this replaces them with the fleet roles those values grant ({@link FleetConfig.Oidc}), each with
 * the roles below it. An identity provider's own roles (Keycloak's {@code offline_access}, a role that happens to be
 * called {@code admin}) grant nothing. Users from configuration ({@link FleetUsers}) pass unchanged.
 */
@ApplicationScoped
public class TokenRoles implements SecurityIdentityAugmentor {

    @Inject
    FleetConfig config;

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken)) {
            return Uni.createFrom().item(identity);
        }
        // lowest first: one claim value configured for two roles grants the higher
        Map<String, String> fleetRoleOf = new HashMap<>();
        fleetRoleOf.put(config.oidc().viewerRole(), FleetRoles.VIEWER);
        fleetRoleOf.put(config.oidc().operatorRole(), FleetRoles.OPERATOR);
        fleetRoleOf.put(config.oidc().adminRole(), FleetRoles.ADMIN);
        Set<String> roles = new HashSet<>();
        for (String claimed : identity.getRoles()) {
            String fleetRole = fleetRoleOf.get(claimed);
            if (fleetRole != null) {
                roles.addAll(FleetRoles.grantedBy(fleetRole));
            }
        }
        QuarkusSecurityIdentity.Builder mapped = QuarkusSecurityIdentity.builder()
                .setPrincipal(identity.getPrincipal())
                .addCredentials(identity.getCredentials())
                .addAttributes(identity.getAttributes())
                .addRoles(roles);
        mapped.addPermissionChecker(identity::checkPermission);
        return Uni.createFrom().item(mapped.build());
    }
}
