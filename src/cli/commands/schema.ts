/** `dqm-export schema`: the JSON Schema of pipeline files, for editors and CI linters. */
import type { CommandModule } from 'yargs';
import { pipelineJsonSchema } from '../../config/index.js';

/** The `schema` command. */
export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'Print the JSON Schema of pipeline files (e.g. for yaml-language-server)',
  builder: (y) =>
    y.example([
      [
        '$0 schema > pipeline.schema.json',
        'then put "# yaml-language-server: $schema=pipeline.schema.json" at the top of a pipeline',
      ],
    ]),
  handler: () => {
    process.stdout.write(JSON.stringify(pipelineJsonSchema(), null, 2) + '\n');
  },
};
