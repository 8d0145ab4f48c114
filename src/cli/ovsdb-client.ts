// `tsovs ovsdb-client`: placeholder until the client commands land.
/** Runs one ovsdb-client command. */
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('tsovs ovsdb-client: not built yet\n');
  return 1;
}
