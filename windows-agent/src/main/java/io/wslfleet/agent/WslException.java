package io.wslfleet.agent;

/** wsl.exe itself failed (not a Linux command inside a distro). {@link #kind()} is the typed reason. */
public class WslException extends Exception {

    /** The failures an agent acts on differently, mapped from wsl.exe's {@code Error code: Wsl/...} line. */
    public enum Kind {
        DISTRO_NOT_FOUND, NAME_EXISTS, IMPORT_FAILED, NOT_STOPPED, SERVICE_UNAVAILABLE, ACCESS_DENIED,
        LOCAL_SYSTEM_NOT_SUPPORTED, DISK_CORRUPTED, DISK_FULL, DISTRO_WONT_START, INVALID_ARGUMENT,
        /** wsl.exe exited non-zero with no {@code Error code:} line: a usage error or an option this WSL lacks. */
        NO_ERROR_CODE,
        TIMEOUT, OTHER;

        static Kind of(String errorCode) {
            if (errorCode == null) {
                return OTHER;
            }
            if (errorCode.contains("WSL_E_DISTRO_NOT_FOUND") || errorCode.contains("WSL_E_DEFAULT_DISTRO_NOT_FOUND")) {
                return DISTRO_NOT_FOUND;
            }
            if (errorCode.contains("ERROR_ALREADY_EXISTS")) {
                return NAME_EXISTS;
            }
            if (errorCode.contains("WSL_E_IMPORT_FAILED")) {
                return IMPORT_FAILED;
            }
            if (errorCode.contains("WSL_E_DISTRO_NOT_STOPPED")) {
                return NOT_STOPPED;
            }
            if (errorCode.contains("E_ACCESSDENIED")) {
                return ACCESS_DENIED;
            }
            if (errorCode.contains("WSL_E_LOCAL_SYSTEM_NOT_SUPPORTED")) {
                return LOCAL_SYSTEM_NOT_SUPPORTED;
            }
            // WSL prints a code it has no name for as the HRESULT: 0x80070070 is HRESULT_FROM_WIN32(ERROR_DISK_FULL)
            if (errorCode.contains("ERROR_DISK_FULL") || errorCode.toLowerCase().endsWith("/0x80070070")) {
                return DISK_FULL;
            }
            if (errorCode.contains("DISK_CORRUPTED") || errorCode.contains("ERROR_FILE_CORRUPT")) {
                return DISK_CORRUPTED;
            }
            if (errorCode.contains("CreateInstance")) {
                return DISTRO_WONT_START;
            }
            if (errorCode.contains("E_INVALIDARG")) {
                return INVALID_ARGUMENT;
            }
            if (errorCode.startsWith("Wsl/Service/E_UNEXPECTED") || errorCode.contains("RPC_S_SERVER_UNAVAILABLE")
                    || errorCode.contains("SERVICE")) {
                return SERVICE_UNAVAILABLE;
            }
            return OTHER;
        }
    }

    private final Kind kind;
    private final String errorCode;

    public WslException(Kind kind, String errorCode, String message) {
        super(message);
        this.kind = kind;
        this.errorCode = errorCode;
    }

    public Kind kind() {
        return kind;
    }

    /** The {@code Wsl/...} code as printed, or null. */
    public String errorCode() {
        return errorCode;
    }
}
