package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;
import io.wslfleet.protocol.release.UntrustedReleaseException;

/**
 * The one place where a failure the agent meets (a wsl.exe error, a release that does not verify, a command inside
 * the distro that failed) becomes the reason a result carries; a step that knows its reason outright names the
 * {@link FailureReason} itself.
 */
final class FailureReasons {

    private FailureReasons() {
    }

    static FailureReason of(WslException e) {
        return switch (e.kind()) {
            case NAME_EXISTS -> FailureReason.NAME_TAKEN;
            case IMPORT_FAILED -> FailureReason.IMPORT_FAILED;
            case DISK_FULL -> FailureReason.DISK_FULL;
            case TIMEOUT -> FailureReason.WSL_TIMEOUT;
            case DISTRO_NOT_FOUND -> FailureReason.DISTRO_NOT_FOUND;
            case DISTRO_WONT_START -> FailureReason.DISTRO_WONT_START;
            case SERVICE_UNAVAILABLE -> FailureReason.WSL_SERVICE_UNAVAILABLE;
            case LOCAL_SYSTEM_NOT_SUPPORTED -> FailureReason.WSL_LOCAL_SYSTEM;
            case NO_ERROR_CODE, INVALID_ARGUMENT -> FailureReason.WSL_UNSUPPORTED;
            default -> FailureReason.WSL_ERROR;
        };
    }

    /** Why a release was refused: each of the verifier's reasons has the result reason of the same meaning. */
    static FailureReason of(UntrustedReleaseException e) {
        return switch (e.reason()) {
            case UNSIGNED -> FailureReason.UNSIGNED;
            case UNKNOWN_KEY -> FailureReason.UNKNOWN_KEY;
            case BAD_SIGNATURE -> FailureReason.BAD_SIGNATURE;
            case MALFORMED_MANIFEST -> FailureReason.MALFORMED_MANIFEST;
            case CHECKSUM_MISMATCH -> FailureReason.CHECKSUM_MISMATCH;
            case SIZE_MISMATCH -> FailureReason.SIZE_MISMATCH;
        };
    }

    /** Copying the new system into the distro failed: a full disk (as the copy inside the distro says it), or else. */
    static FailureReason ofCopy(Rollback.CommandFailed e) {
        return String.valueOf(e.getMessage()).contains("No space") ? FailureReason.DISK_FULL : FailureReason.COPY_FAILED;
    }
}
