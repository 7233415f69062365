// A handler throws this when a call is well-formed but not allowed here and now (the caller gets
// code 'refused' and the reason, not a generic failure).
export class ApiRefusal extends Error {}
