package org.olmo4j.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Slurm hostlists as clusters print them, expanded as {@code scontrol show hostnames} does. */
class HostlistTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // LUMI-G: 6-digit zero-padded nids
      "nid[005001-005004]          | nid005001 nid005002 nid005003 nid005004",
      "nid[001-004,007]            | nid001 nid002 nid003 nid004 nid007",
      "gpu-a[1-2]-b[3,5]           | gpu-a1-b3 gpu-a1-b5 gpu-a2-b3 gpu-a2-b5",
      "node1,node[3-4]             | node1 node3 node4",
      "single-host                 | single-host",
      "nid[008-011]                | nid008 nid009 nid010 nid011",
      "n[8-10]                     | n8 n9 n10",
      "rack[1-2]n[01-02].ib        | rack1n01.ib rack1n02.ib rack2n01.ib rack2n02.ib",
      "a[1],b[2-3],c               | a1 b2 b3 c",
      "x[7,3]                      | x7 x3",
  })
  void expands(String hostlist, String expected) {
    assertEquals(List.of(expected.split(" ")), Hostlist.expand(hostlist));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "nid[001-004                 | '[' is never closed",
      "nid001-004]                 | ']' without '['",
      "nid[[1-2]]                  | nested '['",
      "nid[]                       | empty brackets",
      "nid[4-1]                    | range '4-1' in 'nid[4-1]' runs backwards",
      "nid[a-b]                    | 'a-b' in 'nid[a-b]' is not a number or a range N-M",
      "nid[1-2-3]                  | is not a number or a range",
      "nid[1,,2]                   | is not a number or a range",
      "node1,,node2                | empty host name between commas",
      "n[0-99999999]               | more than 1000000 hosts",
      "n[0-999]m[0-999]o[0-9]      | more than 1000000 hosts",
  })
  void rejectsWithTheReason(String hostlist, String reason) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Hostlist.expand(hostlist));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }
}
