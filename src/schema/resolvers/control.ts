import { randomUUID } from 'node:crypto';
import { GraphQLJSON } from 'graphql-scalars';
import { inject, injectable } from 'tsyringe';
import { Arg, Ctx, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { PubSub } from 'type-graphql';
import type { RunProgress } from '../../core/execution/queue.js';
import { Api, ApiToken, badInput, notFound } from '../api.js';
import type { ApiContext } from '../api.js';
import { Experiment, Run, RunProgressInfo, RunStatus } from '../types.js';

const RUN_PROGRESS = 'RUN_PROGRESS';

/** Starting, cancelling and deleting runs (bearer token required), and following them live. */
@injectable()
@Resolver()
export class ControlResolver {
  constructor(@inject(ApiToken) private readonly api: Api) {}

  @Mutation(() => Run, {
    description:
      'Validates a run spec (as in `paretune run --spec`) and queues it in this server; follow it with run(id).progress or runProgress.',
  })
  startRun(@Arg('spec', () => GraphQLJSON) spec: unknown, @Ctx() context: ApiContext): Run {
    this.api.authorize(context);
    return this.api.startRun(spec, randomUUID());
  }

  @Mutation(() => Experiment, {
    description:
      'Validates an experiment (as in an experiment file), records it and queues its unfinished runs; starting it again continues it.',
  })
  startExperiment(@Arg('spec', () => GraphQLJSON) spec: unknown, @Ctx() context: ApiContext): Experiment {
    this.api.authorize(context);
    const { id } = this.api.startExperiment(spec);
    const experiment = this.api.store.listExperiments().find((e) => e.id === id);
    if (experiment === undefined) throw notFound('experiment', id);
    return experiment;
  }

  @Mutation(() => Run, {
    description:
      'Cancels a queued run, or stops a running one after its current step (stored as CANCELLED, resumable).',
  })
  cancelRun(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Run {
    this.api.authorize(context);
    return this.api.cancelRun(id);
  }

  @Mutation(() => Boolean, { description: 'Deletes a stored run with its metric points and checkpoints.' })
  deleteRun(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): boolean {
    this.api.authorize(context);
    return this.api.deleteRun(id);
  }

  @Subscription(() => RunProgressInfo, {
    description:
      'Progress of a run queued or running in this server (graphql-ws on the same path); ends after FINISHED, FAILED or CANCELLED.',
    topics: RUN_PROGRESS,
    topicId: ({ args }) => args['id'],
  })
  runProgress(
    @Root() progress: RunProgress,
    @Arg('id', () => ID) _id: string,
    @Ctx() context: ApiContext,
  ): RunProgressInfo {
    return this.api.visible(context, { ...progress, status: progress.status as RunStatus });
  }
}

/** The subscription source: a run's progress from the API's queue (type-graphql's PubSub interface). */
export function progressSource(api: Api | undefined): PubSub {
  return {
    publish: () => undefined, // the queue publishes its own progress
    subscribe: (_topic, id) => {
      const runId = String(id);
      if (api === undefined) throw new Error('the schema was built without an API');
      if (api.queue.progress(runId) === undefined) {
        throw api.store.getRun(runId) === undefined
          ? notFound('run', runId)
          : badInput(`run ${runId} is not queued or running in this server: query run(id) instead`);
      }
      return api.queue.follow(runId);
    },
  };
}
