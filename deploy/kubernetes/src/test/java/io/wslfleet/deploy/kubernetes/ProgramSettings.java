package io.wslfleet.deploy.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.smallrye.config.ConfigMapping;
import io.wslfleet.buildworker.cli.BuildWorkerCli;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import picocli.CommandLine;

/**
 * What each program reads, derived from its code rather than copied into this test: the orchestrator's
 * application.properties (its {@code ${VAR}} references and the environment form of each key) and its
 * {@code @ConfigMapping} {@link FleetConfig}; the build worker's picocli options ({@code ${env:VAR}} defaults), its
 * launcher script and the contract bounds {@link Contract#fromEnvironment} looks up; both: {@link KafkaClientSettings}.
 */
final class ProgramSettings {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)");
    private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Z][A-Z0-9_]*)");
    private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)");

    private ProgramSettings() {
    }

    static Path repoRoot() {
        Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("protocol")) && Files.isDirectory(p.resolve("deploy"))) {
                return p;
            }
        }
        throw new IllegalStateException("repository root not found above " + here);
    }

    /** The orchestrator's application.properties, from its own jar (not whichever one the classpath finds first). */
    static Properties orchestratorProperties() {
        URL location = FleetConfig.class.getProtectionDomain().getCodeSource().getLocation();
        try {
            Path base = Path.of(location.toURI());
            Properties p = new Properties();
            if (Files.isDirectory(base)) {
                try (InputStream in = Files.newInputStream(base.resolve("application.properties"))) {
                    p.load(in);
                }
            } else {
                try (var jar = new java.util.jar.JarFile(base.toFile());
                     InputStream in = jar.getInputStream(jar.getEntry("application.properties"))) {
                    p.load(in);
                }
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A property as the prod profile sees it: {@code %prod.key} over {@code key}; null when unset. */
    static String prodProperty(Properties p, String key) {
        return p.getProperty("%prod." + key, p.getProperty(key));
    }

    /** Every environment variable the orchestrator process reads. */
    static Set<String> orchestratorReads() {
        Set<String> names = new TreeSet<>(KafkaClientSettings.VARIABLES);
        Properties p = orchestratorProperties();
        for (String key : p.stringPropertyNames()) {
            names.add(envForm(key.replaceFirst("^%[a-z]+\\.", "")));
            Matcher m = REFERENCE.matcher(p.getProperty(key));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        configMappingNames(FleetConfig.class, FleetConfig.class.getAnnotation(ConfigMapping.class).prefix(), names);
        return names;
    }

    /** Every environment variable the build worker's {@code worker} command reads. */
    static Set<String> buildWorkerReads() {
        Set<String> names = new TreeSet<>(KafkaClientSettings.VARIABLES);
        Class<?> worker = null;
        for (Class<?> nested : BuildWorkerCli.class.getDeclaredClasses()) {
            CommandLine.Command command = nested.getAnnotation(CommandLine.Command.class);
            if (command != null && command.name().equals("worker")) {
                worker = nested;
            }
        }
        if (worker == null) {
            throw new IllegalStateException("BuildWorkerCli has no 'worker' command");
        }
        for (Field f : worker.getDeclaredFields()) {
            CommandLine.Option option = f.getAnnotation(CommandLine.Option.class);
            if (option != null) {
                Matcher m = ENV_DEFAULT.matcher(option.defaultValue());
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        names.addAll(contractVariables());
        names.addAll(launcherVariables());
        return names;
    }

    /** What the build worker's launcher script (the container's entry point) reads. */
    static Set<String> launcherVariables() {
        try {
            String script = Files.readString(repoRoot().resolve("build-worker/bin/build-worker"), StandardCharsets.UTF_8);
            Set<String> names = new TreeSet<>();
            Matcher m = SHELL_VARIABLE.matcher(script);
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names {@link Contract#fromEnvironment} looks up, recorded as it looks them up. */
    static Set<String> contractVariables() {
        Set<String> asked = new TreeSet<>();
        Map<String, String> recording = new HashMap<>() {
            @Override
            public String get(Object key) {
                asked.add(String.valueOf(key));
                return null;
            }

            @Override
            public String getOrDefault(Object key, String fallback) {
                asked.add(String.valueOf(key));
                return fallback;
            }
        };
        Contract.fromEnvironment(recording);
        return asked;
    }

    /** The names of an image's {@code ENV} lines (read by the image's entry point, e.g. run-java.sh). */
    static Set<String> containerfileEnv(Path containerfile) {
        Set<String> names = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(containerfile)) {
                Matcher m = Pattern.compile("^ENV\\s+([A-Z][A-Z0-9_]*)[= ]").matcher(line.trim());
                if (m.find()) {
                    names.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    /** Quarkus's (MicroProfile Config's) environment form of a property name. */
    static String envForm(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static void configMappingNames(Class<?> type, String prefix, Set<String> names) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0) {
                continue;
            }
            String name = prefix + "." + kebab(m.getName());
            Class<?> returned = m.getReturnType();
            if (returned.isInterface() && returned.getName().startsWith(FleetConfig.class.getName())) {
                configMappingNames(returned, name, names);
            } else {
                names.add(envForm(name));
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
