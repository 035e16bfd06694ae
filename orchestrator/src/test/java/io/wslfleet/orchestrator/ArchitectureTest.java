package io.wslfleet.orchestrator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.properties.CanBeAnnotated;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which package of the orchestrator may depend on which: read from the compiled classes. */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.wslfleet.orchestrator");
    }

    @Test
    void machinesDoNotDependOnRollouts() {
        // rollouts select and command machines; the machine registry reaches them only through MachineCommands
        noClasses().that().resideInAPackage("..orchestrator.machine..")
                .should().dependOnClassesThat().resideInAPackage("..orchestrator.rollout..")
                .check(classes);
    }

    @Test
    void theDashboardCallsServicesNotOtherResourcesAndRunsNoSql() {
        noClasses().that().resideInAPackage("..orchestrator.dashboard..")
                .should().dependOnClassesThat(JavaClass.Predicates.resideOutsideOfPackage("..orchestrator.dashboard..")
                        .and(CanBeAnnotated.Predicates.annotatedWith(Path.class)).as("are REST resources of other features"))
                .orShould().dependOnClassesThat().resideInAPackage("jakarta.persistence..")
                .check(classes);
    }
}
