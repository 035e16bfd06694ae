package io.wslfleet.buildworker;

import java.io.IOException;

/** The archive is not something the fleet may install; the message says why, for a person to act on. */
public final class InvalidArchiveException extends IOException {
    public InvalidArchiveException(String message) {
        super(message);
    }

    /** With the library's own failure as the cause, when the message explains it better than the library can. */
    public InvalidArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
