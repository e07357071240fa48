package org.olmo4j.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import java.io.IOException;

/** Jackson form of {@link Duration}: a number for steps, else OLMo's string ({@code 2e12T}, {@code 3ep}). */
final class DurationJson {

  private DurationJson() {}

  static final class Serializer extends StdScalarSerializer<Duration> {
    private static final long serialVersionUID = 1L;

    Serializer() {
      super(Duration.class);
    }

    @Override
    public void serialize(Duration d, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (d.unit() == Duration.Unit.STEPS) {
        gen.writeNumber(d.value());
      } else {
        gen.writeString(d.toString());
      }
    }
  }

  static final class Deserializer extends StdScalarDeserializer<Duration> {
    private static final long serialVersionUID = 1L;

    Deserializer() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t != JsonToken.VALUE_STRING && t != JsonToken.VALUE_NUMBER_INT
          && t != JsonToken.VALUE_NUMBER_FLOAT) {
        return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
      }
      try {
        return Duration.parse(p.getText());
      } catch (IllegalArgumentException e) {
        // The cause carries Duration.parse's explanation; ConfigBinding reports it with the key.
        throw JsonMappingException.from(p, e.getMessage(), e);
      }
    }
  }
}
