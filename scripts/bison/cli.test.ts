// Text from Bison reaches the operator's terminal as text: no escape sequence, control character
// or bidirectional override survives printable(), whatever a workspace is named.
import assert from "node:assert/strict";
import { formatUsage, printable, table } from "./cli.ts";

Deno.test("escape sequences and control characters are removed from names", () => {
  assert.equal(printable("\x1b[31mRed\x1b[0m Client"), "Red Client", "colours (CSI)");
  assert.equal(printable("A\x1b[2J\x1b[HB"), "AB", "clearing the screen, moving the cursor");
  assert.equal(
    printable("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"),
    "click",
    "a hidden hyperlink (OSC 8)",
  );
  assert.equal(printable("\x1b]0;pwned title\x1b\\ok"), "ok", "a window title (OSC, ST-ended)");
  assert.equal(printable("Client\nbison: all 30 done\r"), "Client bison: all 30 done");
  assert.equal(printable("evil\u202Egnp.exe"), "evilgnp.exe", "a right-to-left override");
  assert.equal(printable("bell\x07 nul\x00 del\x7f c1\x9b"), "bell nul del c1");
  assert.equal(printable("Café — 東京"), "Café — 東京", "ordinary text is kept");
  assert.equal(printable("two\nlines\tand a tab", true), "two\nlines\tand a tab");
  assert.equal(printable(null), "");
});

Deno.test("every table cell is printable, so a name cannot break the table", () => {
  assert.equal(
    table(["id", "name"], [[1, "\x1b[1mBold\x1b[0m\nfake row"], [2, null]]),
    "id  name\n1   Bold fake row\n2",
  );
});

Deno.test("usage forms line up after their prefix, and options continue under the first option", () => {
  const text = "bison member add --email <email> [--role <role>]\n" +
    "[--password <password | ->]\n" +
    "bison member list [--workspace <id>]";
  assert.equal(
    formatUsage(text, "usage: ".length),
    "bison member add --email <email> [--role <role>]\n" +
      "                        [--password <password | ->]\n" +
      "       bison member list [--workspace <id>]",
  );
  assert.equal(
    formatUsage("bison connect --name <name>\n[--no-check]", 2),
    "bison connect --name <name>\n" +
      "                [--no-check]",
    "indented like the first form, whose own prefix the caller writes",
  );
});
