package io.wslfleet.protocol.events;

/** How an existing distro moves to a new release. */
public enum UpgradeMode {
    /** The new system becomes a new NixOS generation; {@code /home} is untouched. The default. */
    IN_PLACE,
    /** Export a backup, unregister, install fresh. */
    REIMPORT
}
