/** The model a pod fetches: where from, the file name in the model volume, and the hash to check. */
export interface PodModel {
  url: string;
  fileName: string;
  sha256: string | null;
  /** "hf": a Hugging Face file, fetched with the token in $HF_TOKEN when the pod has one (gated models) */
  auth?: 'hf';
  /**
   * A Hub repository (url is `{endpoint}/{ORG}/{REPO}`), fetched at `revision` (a commit sha) into the
   * directory `fileName`, listed again through the Hub's API with the same include globs; `entry`: the file
   * inside it the engine loads (llamacpp), else the engine gets the directory.
   */
  repo?: { revision: string; include: string[]; entry?: string };
}

/** Where a pod's model volume is mounted (the fetch writes there, the engine reads from there). */
export const POD_MODEL_DIR = '/models';
