/** What the CLI asked of the engine executable, from its command line. */
export interface EngineArgs {
  version: boolean;
  datamodels: string[];
  /** The `--datasource` JSON: the config's datasource, e.g. `{ url, shadowDatabaseUrl }`. */
  datasource: { url?: string; shadowDatabaseUrl?: string };
  /** `cli <command>`: a one-shot command instead of the JSON-RPC server. */
  cliCommand: string | undefined;
}

/** Parses the native engine's arguments; unknown flags with values are skipped. */
export function parseEngineArgs(argv: readonly string[]): EngineArgs {
  const args: EngineArgs = { version: false, datamodels: [], datasource: {}, cliCommand: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--version' || arg === '-V') args.version = true;
    else if (arg === '--datamodels' || arg === '-d') args.datamodels.push(value());
    else if (arg === '--datasource') args.datasource = JSON.parse(value()) as EngineArgs['datasource'];
    else if (arg === '--enabled-preview-features' || arg === '--extension-types') value();
    else if (arg === 'cli') args.cliCommand = argv[++i];
  }
  return args;
}
