/** The keyboard shortcuts help. */
import { Dialog, DialogContent } from "@/components/ui/dialog";

import { SHORTCUTS } from "../canvas/use-shortcuts";

export function ShortcutsDialog({
  open,
  onOpenChange,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Keyboard shortcuts">
        <table className="w-full text-sm">
          <tbody>
            {SHORTCUTS.map(([keys, action]) => (
              <tr key={keys} className="border-t border-border first:border-0">
                <th
                  scope="row"
                  className="py-1.5 pr-4 text-left font-mono text-xs font-normal whitespace-nowrap"
                >
                  {keys}
                </th>
                <td className="py-1.5">{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </DialogContent>
    </Dialog>
  );
}
