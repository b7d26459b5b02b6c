import { useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import { useCommandBar } from "./CommandBar";

export type ExampleCommand = { command: string; intent: string };

/** Commands to try (GET /api/voice/examples), asked for once. */
export function useExampleCommands() {
  const api = useApi();
  return useQuery({
    queryKey: ["examples"],
    queryFn: () => api.json<{ examples: ExampleCommand[] }>("/api/voice/examples"),
    staleTime: Infinity,
  });
}

/** Commands to try, each a button that runs it in the command bar. */
export function ExampleCommands({ commands, disabled }: { commands: string[]; disabled?: boolean }) {
  const { run } = useCommandBar();
  return (
    <ul className="examples" aria-label="Commands to try">
      {commands.map((command) => (
        <li key={command}>
          <button type="button" className="example" disabled={disabled} onClick={() => void run(command)}>
            “{command}”
          </button>
        </li>
      ))}
    </ul>
  );
}
