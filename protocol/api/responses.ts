/** SKELETON: a helper defines these bodies. */
export {};
