package io.wslfleet.buildworker;

import java.io.IOException;

/**
 * A customisation that would not survive NixOS or is not safe to write ({@link CustomizationPolicy}); the message
 * says what to do instead.
 */
public final class CustomizationRefusedException extends IOException {
    public CustomizationRefusedException(String message) {
        super(message);
    }
}
