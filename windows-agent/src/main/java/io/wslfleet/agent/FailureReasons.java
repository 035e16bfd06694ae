package io.wslfleet.agent;

/**
 * The one place where a wsl.exe failure becomes the reason a result carries (so it can become a protocol enum
 * later without hunting for string literals).
 */
final class FailureReasons {

    private FailureReasons() {
    }

    static String of(WslException e) {
        return switch (e.kind()) {
            case NAME_EXISTS -> "NAME_TAKEN";
            case IMPORT_FAILED -> "IMPORT_FAILED";
            case DISK_FULL -> "DISK_FULL";
            case TIMEOUT -> "WSL_TIMEOUT";
            case DISTRO_NOT_FOUND -> "DISTRO_NOT_FOUND";
            case DISTRO_WONT_START -> "DISTRO_WONT_START";
            case SERVICE_UNAVAILABLE -> "WSL_SERVICE_UNAVAILABLE";
            case LOCAL_SYSTEM_NOT_SUPPORTED -> "WSL_LOCAL_SYSTEM";
            case NO_ERROR_CODE, INVALID_ARGUMENT -> "WSL_UNSUPPORTED";
            default -> "WSL_ERROR";
        };
    }
}
