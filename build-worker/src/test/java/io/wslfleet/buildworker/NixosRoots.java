package io.wslfleet.buildworker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Roots shaped as NixOS-WSL's tarball builder leaves them, after {@code nixos-install} ran the activation:
 * {@code /etc/static} → the etc derivation in the store, the files NixOS manages linked from {@code /etc} into
 * {@code /etc/static} ({@code /etc/wsl.conf}, {@code /etc/os-release}, the whole {@code /etc/ssl/certs}), a copied
 * one ({@code /etc/sudoers}, listed in {@code /etc/.clean}), {@code /etc/passwd} as users-groups writes it, and the
 * {@code nixos-wsl-version} script the system's {@code sw} links to.
 */
final class NixosRoots {

    static final String NIXOS_WSL_VERSION = "2411.6.0";
    static final String WSL_CONF = "[automount]\nenabled=true\nmountFsTab=false\nroot=/mnt\n\n[boot]\nsystemd=true\n\n"
            + "[interop]\nappendWindowsPath=true\nenabled=true\n\n[user]\ndefault=nixos\n";

    private NixosRoots() {
    }

    /** Creates the root under {@code root}; returns the system's store path. */
    static String create(Path root) throws IOException {
        String system = DemoRoot.create(root, "nixos", "25.05.20250601.abcdef0", 1, DemoRoot.Fault.NONE);
        String wslConf = store(root, "wsl.conf", WSL_CONF);
        String osRelease = store(root, "os-release", "NAME=NixOS\nID=nixos\n");
        String sudoers = store(root, "sudoers", "root ALL=(ALL:ALL) SETENV: ALL\n");
        String caBundle = "/nix/store/" + DemoRoot.storeHash("nss-cacert") + "-nss-cacert-3.101/etc/ssl/certs";
        write(root, caBundle + "/ca-bundle.crt", "-----BEGIN CERTIFICATE-----\n");
        String etc = "/nix/store/" + DemoRoot.storeHash("etc") + "-etc/etc";
        link(root, etc + "/wsl.conf", wslConf);
        link(root, etc + "/os-release", osRelease);
        link(root, etc + "/sudoers", sudoers);
        write(root, etc + "/sudoers.mode", "0440");
        link(root, etc + "/ssl/certs", caBundle);
        link(root, "/etc/static", etc);
        Files.delete(root.resolve("etc/wsl.conf"));
        link(root, "/etc/wsl.conf", "/etc/static/wsl.conf");
        Files.delete(root.resolve("etc/os-release"));
        link(root, "/etc/os-release", "/etc/static/os-release");
        link(root, "/etc/ssl/certs", "/etc/static/ssl/certs");
        write(root, "/etc/sudoers", "root ALL=(ALL:ALL) SETENV: ALL\n");
        write(root, "/etc/.clean", "sudoers\n");
        write(root, "/etc/passwd", "root:x:0:0:System administrator:/root:/run/current-system/sw/bin/bash\n");
        write(root, "/etc/NIXOS", "");

        String version = "/nix/store/" + DemoRoot.storeHash("nixos-wsl-version") + "-nixos-wsl-version";
        write(root, version + "/bin/nixos-wsl-version", "#!/bin/sh\nfor arg in \"$@\"; do\n  case $arg in\n"
                + "    --release)\n      echo " + NIXOS_WSL_VERSION + "\n      exit 0\n      ;;\n  esac\ndone\n"
                + "echo NixOS-WSL " + NIXOS_WSL_VERSION + " 0d1f6e3b9c\n");
        String systemPath = "/nix/store/" + DemoRoot.storeHash("system-path") + "-system-path";
        link(root, systemPath + "/bin/nixos-wsl-version", version + "/bin/nixos-wsl-version");
        Path sw = root.resolve(system.substring(1)).resolve("sw");
        TarFixtures.deleteTree(sw);
        Files.createSymbolicLink(sw, Path.of(systemPath));
        return system;
    }

    private static String store(Path root, String name, String content) throws IOException {
        String path = "/nix/store/" + DemoRoot.storeHash(name) + "-" + name;
        write(root, path, content);
        return path;
    }

    static void write(Path root, String path, String content) throws IOException {
        Path file = root.resolve(path.substring(1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    static void link(Path root, String path, String target) throws IOException {
        Path file = root.resolve(path.substring(1));
        Files.createDirectories(file.getParent());
        Files.createSymbolicLink(file, Path.of(target));
    }
}
