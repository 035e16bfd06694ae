package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

/**
 * The one place where a wsl.exe failure becomes the reason a result carries.
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
}
