package io.wslfleet.orchestrator.security;

import java.util.Map;
import java.util.Set;

/**
 * The fleet's three roles, the one place their names live (application.properties' path policies name them too: a
 * property cannot refer to a constant). They are cumulative: admin ⊃ operator ⊃ viewer. Reading needs viewer,
 * changing needs operator, enrolment tokens need admin.
 */
public final class FleetRoles {
    public static final String ADMIN = "admin";
    public static final String OPERATOR = "operator";
    public static final String VIEWER = "viewer";
    /** What a 403 tells: which role does what (the path permissions in application.properties say the same). */
    public static final String ROLES_NEEDED = "your role may not do this: reading needs " + VIEWER + ", changing needs "
            + OPERATOR + ", enrolment tokens need " + ADMIN;

    private static final Map<String, Set<String>> GRANTS = Map.of(
            ADMIN, Set.of(ADMIN, OPERATOR, VIEWER),
            OPERATOR, Set.of(OPERATOR, VIEWER),
            VIEWER, Set.of(VIEWER));

    private FleetRoles() {
    }

    /** The roles a user holding {@code role} has: the role and every role below it; none for an unknown name. */
    public static Set<String> grantedBy(String role) {
        return GRANTS.getOrDefault(role, Set.of());
    }
}
