package io.wslfleet.protocol.events;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An agent's identity: machine plus Windows user, since WSL distros belong to a Windows user. Rendered
 * {@code <machine id>/<user>}, lower case, so that the Kafka key (and so the partition) is stable.
 *
 * <p>Grammar: the machine id is a host name label ({@code [a-z0-9][a-z0-9._-]{0,62}}); the user is what Windows
 * allows in a user name (at most 64 characters, none of {@code " / \ [ ] : ; | = , + * ? < >}, no control characters,
 * no leading or trailing space), lower case. Anything else is refused, on the bus as INVALID_DATA.
 */
public final class AgentId {
    public static final int MAX_LENGTH = 64 + 1 + 64;
    private static final Pattern MACHINE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Pattern USER = Pattern.compile("[^\\s\"/\\\\\\[\\]:;|=,+*?<>\\p{Cntrl}]"
            + "([^\"/\\\\\\[\\]:;|=,+*?<>\\p{Cntrl}]{0,62}[^\\s\"/\\\\\\[\\]:;|=,+*?<>\\p{Cntrl}])?");

    private AgentId() {
    }

    public static String of(String machineId, String windowsUser) {
        String machine = Require.nonBlank(machineId, "machineId").trim().toLowerCase(Locale.ROOT);
        String user = Require.nonBlank(windowsUser, "windowsUser").trim().toLowerCase(Locale.ROOT);
        return check(machine + "/" + user, "agent id");
    }

    /** {@code agentId} when it is a well-formed agent id, else an {@link IllegalArgumentException} naming the field. */
    public static String check(String agentId, String field) {
        Require.nonBlank(agentId, field);
        if (agentId.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " is longer than " + MAX_LENGTH + " characters: "
                    + Require.preview(agentId));
        }
        int slash = agentId.indexOf('/');
        if (slash < 0 || !MACHINE.matcher(agentId.substring(0, slash)).matches()
                || !USER.matcher(agentId.substring(slash + 1)).matches()
                || !agentId.equals(agentId.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(field + " must read <machine>/<windows user> in lower case "
                    + "(machine " + MACHINE.pattern() + ", user without / \\ [ ] : ; | = , + * ? < > \"), was "
                    + Require.preview(agentId));
        }
        return agentId;
    }

    public static String machineOf(String agentId) {
        return agentId.substring(0, agentId.indexOf('/'));
    }

    public static String userOf(String agentId) {
        return agentId.substring(agentId.indexOf('/') + 1);
    }
}
