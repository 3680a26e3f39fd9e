import { plainText } from "./MessageTable";

describe("plainText", () => {
  it("strips Telegram HTML and decodes entities once", () => {
    expect(plainText("<b>BUY</b> BTC_USDT &lt;3 &amp;lt; &quot;x&quot;")).toBe('BUY BTC_USDT <3 &lt; "x"');
  });
});
