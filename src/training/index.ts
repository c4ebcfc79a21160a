export {
  type AutoContext,
  defaultEpochs,
  type HyperparameterInput,
  type Hyperparameters,
  resolveHyperparameters,
} from "./hyperparameters.ts";
export { type CurveContext, diagnoseUnderfitting, type Underfitting } from "./underfitting.ts";
