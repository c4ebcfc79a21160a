export { defaultEpochs, type Hyperparameters, resolveHyperparameters } from "./hyperparameters.ts";
export { planTraining, type TrainOptions, type TrainPlan } from "./train.ts";
