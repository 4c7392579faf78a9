// The GraphQL queries the dashboard runs, by name. The static site runs the same ones ahead of time and writes
// their answers as JSON files (see data.js).

const SUMMARY = 'testAccuracy robustAccuracy shiftedAccuracy aupf trainableParameters trainablePercent';

export const QUERIES = {
  measurements: `query Measurements {
  measurements { dataset runs threatModels { attack norm eps { label } steps label runs } shifts { shift variants runs } }
}`,
  leaderboards: `query Leaderboards(
  $dataset: String!
  $attack: String
  $norm: Norm
  $eps: Radius
  $steps: Int
  $filter: RunFilter
) {
  leaderboard(dataset: $dataset, attack: $attack, norm: $norm, eps: $eps, steps: $steps, filter: $filter) {
    dataset threat eps { value label } robustContext model accuracyVersion protocol differences differsFromOtherBoards
    entries {
      rank strategy runs seeds runIds setting aupf aupfStd aupfCi95 { low high } aboveAverage
      bestCheckpointClean bestCheckpointRobust frontierBestClean frontierBestRobust
      totalParameters trainableParameters trainablePercent testSamples
      correlations { kind label pearson spearman runs }
    }
  }
}`,
  // Up to the API's 500 samples: a trajectory pairs clean and robust accuracy by step, which down-sampling each
  // series on its own would keep at different steps (runs log far fewer evaluation steps than that).
  trajectory: `query Trajectory($id: ID!, $robust: JSON!) {
  run(id: $id) {
    id strategy
    clean: history(context: { split: "test" }, samples: 500) { step value }
    robust: history(context: $robust, samples: 500) { step value }
  }
  frontier(runs: [$id], objectives: [{ context: { split: "test" } }, { context: $robust }]) { points { step values } }
}`,
  run: `query Run($id: ID!) {
  run(id: $id) {
    id status strategy dataset seed model modelName backend paretuneVersion tags createdAt finishedAt
    bestStep lastStep seconds error
    summary { ${SUMMARY} }
    metrics { metric context points }
    correlations { kind label pearson spearman steps }
    progress { status step totalSteps loss evaluatedStep error }
  }
}`,
  history: `query History($id: ID!, $metric: String!, $context: JSON!) {
  run(id: $id) { history(metric: $metric, context: $context, samples: 500) { step value } }
}`,
  active: `query Active {
  runs(first: 100, filter: { status: { in: [QUEUED, RUNNING] } }) { nodes { id strategy dataset status } }
}`,
  progress: `subscription Progress($id: ID!) {
  runProgress(id: $id) { runId status step totalSteps loss evaluatedStep error }
}`,
};
