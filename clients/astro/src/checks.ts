/**
 * Compile-time proof that the zod schemas (src/schemas.ts) and the TypeScript types
 * (src/openapi.ts) describe the same JSON: `tsc` fails here if either drifts.
 */
import type { z } from "astro/zod";
import type { components } from "./openapi.js";
import type * as S from "./schemas.js";

type Schemas = components["schemas"];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<Name extends keyof Schemas & string> = Same<
  z.output<(typeof S)[`${Name}Schema` & keyof typeof S]>,
  Schemas[Name]
>;

export type SchemaChecks = [
  Check<"PersonalInfoPublic">,
  Check<"ProfilePublic">,
  Check<"LocationPublic">,
  Check<"ImagePublic">,
  Check<"ImageSource">,
  Check<"ExperiencePublic">,
  Check<"ProjectPublic">,
  Check<"SkillPublic">,
  Check<"EducationPublic">,
  Check<"VolunteerPublic">,
  Check<"AwardPublic">,
  Check<"CertificatePublic">,
  Check<"PublicationPublic">,
  Check<"LanguagePublic">,
  Check<"InterestPublic">,
  Check<"ReferencePublic">,
  Check<"TechnologyPublic">,
  Check<"ResumePublic">,
];

const allTrue: SchemaChecks = [
  true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true,
];
void allTrue;
