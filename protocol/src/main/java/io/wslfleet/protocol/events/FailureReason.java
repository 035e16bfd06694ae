package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/**
 * Why a command did not succeed: the vocabulary of {@link CommandResult#reason()}, one code per cause wherever it
 * is found. On the wire it is the name; a name this version does not know (a newer agent's) reads as {@link #OTHER},
 * so a result is never lost for its reason.
 */
public enum FailureReason {
    // The release itself
    UNSIGNED("the release carries no signed manifest"),
    UNKNOWN_KEY("the release is signed with a key the agent does not trust"),
    BAD_SIGNATURE("the manifest signature does not verify"),
    MALFORMED_MANIFEST("the signed manifest cannot be read"),
    CHECKSUM_MISMATCH("the artifact's sha256 is not the manifest's (or the command's claims are not the manifest's)"),
    SIZE_MISMATCH("the artifact's size is not the manifest's"),
    DOWNLOAD_FAILED("the artifact could not be downloaded"),
    // wsl.exe
    NAME_TAKEN("a distro of that name is already installed"),
    IMPORT_FAILED("wsl.exe could not import the archive (WSL_E_IMPORT_FAILED)"),
    DISK_FULL("not enough space on the disk"),
    WSL_TIMEOUT("a wsl.exe call did not finish in time and was stopped"),
    DISTRO_NOT_FOUND("the distro is not installed"),
    DISTRO_WONT_START("the distro does not start"),
    WSL_SERVICE_UNAVAILABLE("the WSL service is not available"),
    WSL_LOCAL_SYSTEM("WSL refuses to run as LocalSystem: the agent must run as the logged-on user"),
    WSL_UNSUPPORTED("this wsl.exe lacks an option the step needs (inbox or older WSL)"),
    WSL_ERROR("wsl.exe failed for another reason (the message has its output)"),
    // NixOS
    COPY_FAILED("copying the new system into the distro failed"),
    ACTIVATION_FAILED("the new generation did not come up healthy"),
    UNHEALTHY("the health check found the system not running"),
    BACKUP_FAILED("the backup before a reimport could not be made; nothing changed"),
    BACKUP_MISSING("the backup to restore is gone"),
    ROLLBACK_UNHEALTHY("after rolling back, the system is still not healthy"),
    NO_PREVIOUS_GENERATION("there is no earlier generation to roll back to"),
    // The agent
    AGENT_RESTARTED("the agent restarted during the command and finished or undid it on start"),
    AGENT_ERROR("an unexpected error in the agent (the message names it)"),
    DEADLINE_PASSED("the command arrived after its deadline and was not started"),
    UNSUPPORTED_COMMAND("this agent version does not know the command"),
    /** A reason this version does not know. */
    @JsonEnumDefaultValue
    OTHER("a reason this version does not know");

    private final String meaning;

    FailureReason(String meaning) {
        this.meaning = meaning;
    }

    public String meaning() {
        return meaning;
    }
}
