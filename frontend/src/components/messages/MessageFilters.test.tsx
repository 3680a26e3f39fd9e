import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";

import { MessageFilters } from "./MessageFilters";

describe("MessageFilters", () => {
  it("applies a status at once", () => {
    const onChange = vi.fn();
    render(<MessageFilters value={{}} onChange={onChange} />);
    fireEvent.change(screen.getByLabelText(/Status/), { target: { value: "BLOCKED" } });
    expect(onChange).toHaveBeenLastCalledWith({ status: "BLOCKED" });
  });
  it("applies reason and symbol on submit, upper-cased and trimmed; empty means no filter", async () => {
    const onChange = vi.fn();
    render(<MessageFilters value={{ status: "SENT" }} onChange={onChange} />);
    await userEvent.type(screen.getByLabelText(/Reason starts with/), " throttled ");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(onChange).toHaveBeenLastCalledWith({ status: "SENT", reason: "THROTTLED", symbol: undefined });
  });
  it("clears every filter", async () => {
    const onChange = vi.fn();
    render(<MessageFilters value={{ status: "SENT", reason: "X" }} onChange={onChange} />);
    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(onChange).toHaveBeenLastCalledWith({});
  });
  it("offers no clear button when nothing is filtered", () => {
    render(<MessageFilters value={{}} onChange={() => undefined} />);
    expect(screen.queryByRole("button", { name: "Clear filters" })).toBeNull();
  });
});
