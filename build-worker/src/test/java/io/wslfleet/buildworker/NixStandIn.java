package io.wslfleet.buildworker;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A stand-in for {@code nix}, run as its own process, for FLAKE builds. A "flake" is a directory with a
 * {@code flake.nix} and {@code hosts/<host>/} roots. {@code nix build --no-link --print-out-paths
 * <flake>#nixosConfigurations.<host>.config.system.build.tarballBuilder} prints a store path whose
 * {@code bin/nixos-wsl-tarball-builder <out>} packs that host's root into {@code <out>}, as the real builder writes
 * {@code nixos.wsl}. Failures as nix reports them: a missing flake.nix, a missing attribute, and a failing build
 * ({@code hosts/<host>/BROKEN} holds its log) with exit code 1 and the log on stderr.
 */
public final class NixStandIn {

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("tarball")) {
            try (OutputStream out = Files.newOutputStream(Path.of(args[2]))) {
                RootPacker.pack(Path.of(args[1]), out, done -> { });
            }
            System.exit(0);
        }
        if (args.length < 2 || !args[0].equals("build")) {
            System.err.println("error: unrecognised arguments; this stand-in knows 'nix build'");
            System.exit(1);
        }
        String installable = args[args.length - 1];
        int hash = installable.indexOf('#');
        Path flake = Path.of(installable.substring(0, hash));
        String attribute = installable.substring(hash + 1);
        if (!Files.isRegularFile(flake.resolve("flake.nix"))) {
            System.err.println("error: path '" + flake.toAbsolutePath() + "/flake.nix' does not exist");
            System.exit(1);
        }
        String host = attribute.replaceFirst("^nixosConfigurations\\.", "").replaceFirst("\\.config\\.system\\.build\\.tarballBuilder$", "");
        Path root = flake.resolve("hosts").resolve(host);
        if (!Files.isDirectory(root)) {
            System.err.println("error: flake 'path:" + flake.toAbsolutePath() + "' does not provide attribute '"
                    + "packages.x86_64-linux." + attribute + "' or '" + attribute + "'");
            System.exit(1);
        }
        String drv = "/nix/store/" + DemoRoot.storeHash(host) + "-nixos-system-" + host + ".drv";
        if (Files.exists(root.resolve("BROKEN"))) {
            System.err.println("building '" + drv + "'...");
            System.err.print(Files.readString(root.resolve("BROKEN")));
            System.err.println("error: builder for '" + drv + "' failed with exit code 1;");
            System.exit(1);
        }
        Path store = flake.resolve(".nix-store").resolve(DemoRoot.storeHash(host + "builder") + "-nixos-wsl-tarball-builder");
        Path bin = store.resolve("bin/nixos-wsl-tarball-builder");
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -cp '" + System.getProperty("java.class.path") + "' " + NixStandIn.class.getName()
                + " tarball '" + root.toAbsolutePath() + "' \"$@\"\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        System.err.println("building '" + drv + "'...");
        System.out.println(store.toAbsolutePath());
        System.exit(0);
    }

    /** Writes an executable {@code nix} script in {@code binDir} that runs this stand-in. */
    public static Path install(Path binDir) throws Exception {
        Files.createDirectories(binDir);
        Path nix = binDir.resolve("nix");
        Files.writeString(nix, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path") + "' "
                + NixStandIn.class.getName() + " \"$@\"\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(nix, PosixFilePermissions.fromString("rwxr-xr-x"));
        return nix;
    }
}
