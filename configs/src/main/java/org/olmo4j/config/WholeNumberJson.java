package org.olmo4j.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * A count that OLMo lets recipes write as a float ({@code t_max: 5e12} tokens): any whole number,
 * in integer, float or string form; {@code 1.5} is an error.
 */
final class WholeNumberJson extends StdScalarDeserializer<Long> {
  private static final long serialVersionUID = 1L;

  WholeNumberJson() {
    super(Long.class);
  }

  @Override
  public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return p.getLongValue();
    }
    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_STRING) {
      return (Long) ctxt.handleUnexpectedToken(Long.class, p);
    }
    String text = p.getText().trim().replace("_", "");
    String problem = "expected a whole number, got '" + p.getText() + "'";
    try {
      return new BigDecimal(text).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw JsonMappingException.from(p, problem, new IllegalArgumentException(problem, e));
    }
  }
}
