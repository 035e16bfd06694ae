package io.wslfleet.buildworker;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import io.wslfleet.protocol.events.BuildRequested;

/**
 * Not a test: packing and customising a ≥ 1 GiB nixos.wsl against GNU tar + gzip / pigz on the same machine in the
 * same run, and the peak heap. Run it with a 256 MB heap to show the streaming code needs no more:
 *
 * <pre>./mvnw -q -pl build-worker test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -Xmx256m -cp build-worker/target/classes:build-worker/target/test-classes:$(cat build-worker/target/cp.txt) \
 *   io.wslfleet.buildworker.BuildWorkerBenchmark [GiB]</pre>
 *
 * Writes {@code docs/benchmarks/build-worker.md}.
 */
public final class BuildWorkerBenchmark {

    public static void main(String[] args) throws Exception {
        double gib = args.length > 0 ? Double.parseDouble(args[0]) : 1.1;
        Path work = Files.createTempDirectory("bw-bench-");
        try {
            Path root = work.resolve("root");
            DemoRoot.create(root, "bench", "25.05.1", 1, DemoRoot.Fault.NONE);
            long bytes = fill(root.resolve("nix/store/" + DemoRoot.storeHash("payload") + "-payload"), (long) (gib * (1L << 30)));
            StringBuilder report = new StringBuilder("# Build worker benchmark\n\n");
            report.append(String.format(Locale.ROOT, "Measured %s on this machine (%d cores, JVM -Xmx%d MB). Tree: %.2f GiB "
                            + "in 4 MiB files (half random, half text: compresses about 2:1), plus a NixOS-WSL skeleton.%n%n",
                    Instant.now(), Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() >> 20, bytes / (double) (1L << 30)));

            Path ours = work.resolve("ours.wsl");
            double pack = time(() -> {
                try (OutputStream out = Files.newOutputStream(ours)) {
                    RootPacker.pack(root, out, d -> { });
                }
                return null;
            });
            long packHeap = peakHeapMb();
            double tarGzip = shell(work, "tar -C root --sort=name --mtime=@1 --numeric-owner -cf - . | gzip -6 > tar-gzip.wsl");
            double tarPigz = shell(work, "tar -C root --sort=name --mtime=@1 --numeric-owner -cf - . | pigz -6 > tar-pigz.wsl");

            Path custom = work.resolve("custom.wsl");
            var customization = new BuildRequested.Customization(
                    Map.of("/etc/nixos/configuration.nix", "{ ... }: { wsl.enable = true; }\n"), "Corp", Map.of("network.hostname", "corp"));
            resetPeaks();
            double customize = time(() -> {
                try (InputStream in = Files.newInputStream(ours); OutputStream out = Files.newOutputStream(custom)) {
                    ArchiveCustomizer.customize(in, out, customization);
                }
                return null;
            });
            long customizeHeap = peakHeapMb();
            double unpackRepack = shell(work, "rm -rf x && mkdir x && tar -C x -xzf ours.wsl"
                    + " && printf '{ ... }: { wsl.enable = true; }\\n' > x/etc/nixos/configuration.nix"
                    + " && tar -C x --sort=name --mtime=@1 --numeric-owner -cf - . | gzip -6 > repacked.wsl && rm -rf x");
            resetPeaks();
            double inspect = time(() -> {
                try (InputStream in = Files.newInputStream(custom)) {
                    ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT);
                }
                return null;
            });
            long inspectHeap = peakHeapMb();

            report.append("| Operation | seconds | vs. | seconds | ratio |\n|---|---:|---|---:|---:|\n");
            report.append(row("customise (stream tar.gz → tar.gz)", customize, "tar xzf + change + tar --sort=name | gzip", unpackRepack));
            report.append(row("pack (RootPacker, parallel gzip)", pack, "tar --sort=name | gzip -6", tarGzip));
            report.append(row("pack (RootPacker, parallel gzip)", pack, "tar --sort=name | pigz -6", tarPigz));
            report.append(String.format(Locale.ROOT, "| validate + metadata (ArchiveInspector) | %.1f | | | |%n%n", inspect));
            report.append(String.format(Locale.ROOT, "Output sizes: ours %,d bytes, tar|gzip %,d, tar|pigz %,d.%n%n",
                    Files.size(ours), Files.size(work.resolve("tar-gzip.wsl")), Files.size(work.resolve("tar-pigz.wsl"))));
            report.append(String.format(Locale.ROOT, "Peak heap (sum of heap pools' peak usage): pack %d MB, customise %d MB, "
                    + "validate %d MB, with a %d MB maximum heap.%n%n", packHeap, customizeHeap, inspectHeap,
                    Runtime.getRuntime().maxMemory() >> 20));
            report.append("Goals: customise ≥ 1.5× faster than unpack + repack; pack at least as fast as tar | pigz using "
                    + "every core; peak heap ≤ 256 MB whatever the size. Packing and customising compress with "
                    + "ParallelGzipOutputStream (pigz's scheme: 1 MiB blocks deflated on every core with the previous "
                    + "32 KiB as dictionary, one gzip member); decompression (customise, validate) is one thread.\n");
            Path out = repoRoot().resolve("docs/benchmarks/build-worker.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report.toString());
            System.out.println(report);
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String row(String a, double as, String b, double bs) {
        return String.format(Locale.ROOT, "| %s | %.1f | %s | %.1f | %.2f× |%n", a.replace("|", "\\|"), as,
                b.replace("|", "\\|"), bs, bs / as);
    }

    private static long fill(Path dir, long total) throws Exception {
        Files.createDirectories(dir);
        Random random = new Random(42);
        byte[] block = new byte[4 << 20];
        byte[] text = ("the quick brown fox jumps over the lazy dog; nixos-wsl generation ").repeat(40000)
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long written = 0;
        for (int i = 0; written < total; i++) {
            random.nextBytes(block);
            System.arraycopy(text, random.nextInt(1000), block, block.length / 2, block.length / 2);
            Files.write(dir.resolve(String.format("file-%05d", i)), block);
            written += block.length;
        }
        return written;
    }

    private static double time(Callable<?> work) throws Exception {
        resetPeaks();
        long t0 = System.nanoTime();
        work.call();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double shell(Path dir, String command) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed");
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    private static long peakHeapMb() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("build-worker"))) {
            p = p.getParent();
        }
        return p == null ? Path.of("").toAbsolutePath() : p;
    }
}
