export {
  type AutoContext,
  defaultEpochs,
  type HyperparameterInput,
  type Hyperparameters,
  resolveHyperparameters,
} from "./hyperparameters.ts";
