package io.wslfleet.buildworker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;

/**
 * A small root directory shaped like a NixOS-WSL image: enough for the build worker to pack and validate, for the
 * stand-in wsl.exe to install and boot, and for an agent to verify. Used by the sandbox and the tests.
 *
 * <p>A {@link Fault} makes the generation misbehave on the stand-in: a file {@code wsl-fleet-fault} in the system's
 * store path holding exactly {@code degraded nix-daemon.service,home-manager-nixos.service} (activation leaves those
 * units failed) or exactly {@code noboot} (the distro does not start), with no trailing newline. The store hash is
 * derived from (host, version, fault), so each is a distinct system path.
 */
public final class DemoRoot {

    public enum Fault {
        NONE, DEGRADED, NO_BOOT
    }

    public static final String FAULT_FILE = "wsl-fleet-fault";
    public static final String DEGRADED_UNITS = "nix-daemon.service,home-manager-nixos.service";
    private static final String NIXBASE32 = "0123456789abcdfghijklmnpqrsvwxyz";

    private DemoRoot() {
    }

    /** Creates the tree under {@code dir} and returns the system's store path ({@code /nix/store/…}). */
    public static String create(Path dir, String host, String version, int generation, Fault fault) throws IOException {
        String systemName = storeHash(host + "|" + version + "|" + fault) + "-nixos-system-" + host + "-" + version;
        String systemPath = "/nix/store/" + systemName;
        Path system = dir.resolve("nix/store").resolve(systemName);

        write(dir.resolve("etc/wsl-distribution.conf"), """
                # WSL distribution configuration, see https://learn.microsoft.com/windows/wsl/build-custom-distro
                [oobe]
                defaultName = NixOS

                [shortcut]
                icon = /etc/nixos.ico
                """, "644");
        write(dir.resolve("etc/wsl.conf"), """
                [automount]
                enabled = true
                [boot]
                systemd = true
                [user]
                default = nixos
                """, "644");
        // every NixOS root has it; nixos-enter (and so the recovery shell) and switch-to-configuration refuse a root
        // without it
        write(dir.resolve("etc/NIXOS"), "", "644");
        write(dir.resolve("etc/os-release"), "NAME=NixOS\nID=nixos\nVERSION_ID=\"" + version + "\"\n", "644");
        write(dir.resolve("etc/nixos/configuration.nix"),
                "{ ... }: {\n  wsl.enable = true;\n  wsl.defaultUser = \"nixos\";\n  networking.hostName = \"" + host
                        + "\";\n  system.stateVersion = \"25.05\";\n}\n", "644");
        write(dir.resolve("bin/nixos-wsl-recovery"), "#!/bin/sh\n# NixOS-WSL recovery shell (demo)\nexec /bin/sh \"$@\"\n", "755");
        write(dir.resolve("sbin/init"), "#!/bin/sh\n# NixOS-WSL init shim (demo)\n", "755");
        write(system.resolve("nixos-version"), version + "\n", "444");
        write(system.resolve("bin/switch-to-configuration"),
                "#!/bin/sh\n# switch-to-configuration (demo): boot|switch|test|dry-activate\nexit 0\n", "555");
        write(system.resolve("activate"), "#!/bin/sh\n# activation script (demo)\nexit 0\n", "555");
        write(system.resolve("sw/share/nixos-wsl/version"), "2505.7.0\n", "444");
        if (fault == Fault.DEGRADED) {
            write(system.resolve(FAULT_FILE), "degraded " + DEGRADED_UNITS, "444");
        } else if (fault == Fault.NO_BOOT) {
            write(system.resolve(FAULT_FILE), "noboot", "444");
        }
        Path profiles = dir.resolve("nix/var/nix/profiles");
        Files.createDirectories(profiles);
        Files.createDirectories(dir.resolve("nix/var/nix/db"));
        Files.createSymbolicLink(profiles.resolve("system-" + generation + "-link"), Path.of(systemPath));
        Files.createSymbolicLink(profiles.resolve("system"), Path.of("system-" + generation + "-link"));
        Files.createDirectories(dir.resolve("home/nixos"));
        Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(dir.resolve("tmp"));
        return systemPath;
    }

    /** 32 characters of Nix's base-32 alphabet, derived from the input (stable, not a real Nix hash). */
    static String storeHash(String input) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder(32);
            for (int i = 0; i < 32; i++) {
                out.append(NIXBASE32.charAt((digest[i] & 0xff) % 32));
            }
            return out.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, String content, String octalMode) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(rwx(octalMode)));
    }

    private static String rwx(String octal) {
        StringBuilder s = new StringBuilder();
        for (char c : octal.toCharArray()) {
            int v = c - '0';
            s.append((v & 4) != 0 ? 'r' : '-').append((v & 2) != 0 ? 'w' : '-').append((v & 1) != 0 ? 'x' : '-');
        }
        return s.toString();
    }
}
