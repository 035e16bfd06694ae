package io.wslfleet.orchestrator.machine;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/** A {@link HealthState} column holds its {@link HealthState#wire() wire name}, as the API and the SQL filters say it. */
@Converter
public class HealthStateColumn implements AttributeConverter<HealthState, String> {
    @Override
    public String convertToDatabaseColumn(HealthState state) {
        return state == null ? null : state.wire();
    }

    @Override
    public HealthState convertToEntityAttribute(String wire) {
        return wire == null ? null : HealthState.fromWire(wire);
    }
}
