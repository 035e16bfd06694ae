package io.wslfleet.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.quarkus.hibernate.orm.JsonFormat;
import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import io.wslfleet.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

import java.io.IOException;

/**
 * How Hibernate writes and reads the jsonb columns ({@code @JdbcTypeCode(SqlTypes.JSON)}): with the wire format's
 * mapper ({@link Json#MAPPER}), the one those columns were always written with, rather than the REST layer's. A stored
 * value that does not read as its type is a failure of ours, not of the request that touched it: an
 * {@link IllegalStateException} (answered 500), where Hibernate would throw an {@link IllegalArgumentException} (400).
 */
@JsonFormat
@PersistenceUnitExtension
@ApplicationScoped
public class JsonColumns implements FormatMapper {
    private final FormatMapper jackson = new JacksonJsonFormatMapper(Json.MAPPER);

    @Override
    public <T> T fromString(CharSequence json, JavaType<T> type, WrapperOptions options) {
        try {
            return jackson.fromString(json, type, options);
        } catch (IllegalArgumentException e) {
            throw unreadable(type, e);
        }
    }

    @Override
    public <T> String toString(T value, JavaType<T> type, WrapperOptions options) {
        return jackson.toString(value, type, options);
    }

    @Override
    public boolean supportsSourceType(Class<?> sourceType) {
        return jackson.supportsSourceType(sourceType);
    }

    @Override
    public boolean supportsTargetType(Class<?> targetType) {
        return jackson.supportsTargetType(targetType);
    }

    @Override
    public <T> void writeToTarget(T value, JavaType<T> type, Object target, WrapperOptions options)
            throws IOException {
        jackson.writeToTarget(value, type, target, options);
    }

    @Override
    public <T> T readFromSource(JavaType<T> type, Object source, WrapperOptions options) throws IOException {
        try {
            return jackson.readFromSource(type, source, options);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw unreadable(type, e);
        }
    }

    private static IllegalStateException unreadable(JavaType<?> type, Exception e) {
        return new IllegalStateException("a stored JSON column does not read as " + type.getTypeName(), e);
    }
}
