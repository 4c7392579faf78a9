import type { Command } from 'commander';
import type { CliIo } from '../context.js';

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('the default main job: pre-train a small ViT on Fashion-MNIST, fine-tune it with every strategy, plot the frontiers')
    .action(() => {
      io.stdout(
        'paretune demo is not built yet: the main job (pre-train a small ViT on Fashion-MNIST classes 0-4, fine-tune it\n' +
          'with all seven strategies on classes 5-9 under continuous evaluation, plot the Pareto frontiers) lands with\n' +
          'the model, trainer, datasets and store. `paretune info` shows what this build can do now.\n',
      );
    });
}
