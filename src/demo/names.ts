import { weighted } from './prng.ts';
import type { Rng, WeightedTable } from './prng.ts';

/**
 * Name tables. Weights follow the shape of the US Census 2010 surname counts and the SSA baby
 * name counts of the birth decades that fill a hospital (rounded; the order and the steep fall-off
 * matter more than the exact figures). A generated long tail keeps a million patients from
 * sharing only a few hundred surnames, which would make every MPI look worse than it is.
 */

// prettier-ignore
const FAMILY: ReadonlyArray<readonly [string, number]> = [
  ['Smith', 828], ['Johnson', 655], ['Williams', 550], ['Brown', 487], ['Jones', 483], ['Garcia', 466],
  ['Miller', 424], ['Davis', 395], ['Rodriguez', 374], ['Martinez', 354], ['Hernandez', 353], ['Lopez', 293],
  ['Gonzalez', 288], ['Wilson', 276], ['Anderson', 271], ['Thomas', 264], ['Taylor', 258], ['Moore', 244],
  ['Jackson', 242], ['Martin', 240], ['Lee', 232], ['Perez', 219], ['Thompson', 213], ['White', 212],
  ['Harris', 198], ['Sanchez', 194], ['Clark', 184], ['Ramirez', 183], ['Lewis', 175], ['Robinson', 174],
  ['Walker', 172], ['Young', 158], ['Allen', 156], ['King', 154], ['Wright', 151], ['Scott', 145],
  ['Torres', 140], ['Nguyen', 138], ['Hill', 137], ['Flores', 137], ['Green', 133], ['Adams', 131],
  ['Nelson', 129], ['Baker', 127], ['Hall', 127], ['Rivera', 124], ['Campbell', 121], ['Mitchell', 119],
  ['Carter', 119], ['Roberts', 118], ['Gomez', 113], ['Phillips', 112], ['Evans', 111], ['Turner', 108],
  ['Diaz', 108], ['Parker', 107], ['Cruz', 105], ['Edwards', 104], ['Collins', 103], ['Reyes', 103],
  ['Stewart', 102], ['Morris', 100], ['Morales', 99], ['Murphy', 98], ['Cook', 97], ['Rogers', 96],
  ['Gutierrez', 93], ['Ortiz', 92], ['Morgan', 92], ['Cooper', 91], ['Peterson', 90], ['Bailey', 89],
  ['Reed', 88], ['Kelly', 87], ['Howard', 86], ['Ramos', 85], ['Kim', 85], ['Cox', 84],
  ['Ward', 84], ['Richardson', 83], ['Watson', 82], ['Brooks', 81], ['Chavez', 80], ['Wood', 80],
  ['James', 80], ['Bennett', 79], ['Gray', 78], ['Mendoza', 77], ['Ruiz', 76], ['Hughes', 76],
  ['Price', 75], ['Alvarez', 75], ['Castillo', 74], ['Sanders', 74], ['Patel', 73], ['Myers', 72],
  ['Long', 71], ['Ross', 71], ['Foster', 70], ['Jimenez', 70], ['Powell', 69], ['Jenkins', 68],
  ['Perry', 68], ['Russell', 67], ['Sullivan', 66], ['Bell', 66], ['Coleman', 65], ['Butler', 65],
  ['Henderson', 64], ['Barnes', 64], ['Gonzales', 63], ['Fisher', 62], ['Vasquez', 62], ['Simmons', 61],
  ['Romero', 61], ['Jordan', 60], ['Patterson', 60], ['Alexander', 59], ['Hamilton', 59], ['Graham', 58],
  ['Reynolds', 58], ['Griffin', 57], ['Wallace', 57], ['Moreno', 56], ['West', 56], ['Cole', 55],
  ['Hayes', 55], ['Bryant', 54], ['Herrera', 54], ['Gibson', 53], ['Ellis', 53], ['Tran', 53],
  ['Medina', 52], ['Aguilar', 52], ['Stevens', 51], ['Murray', 51], ['Ford', 50], ['Castro', 50],
  ['Marshall', 50], ['Owens', 49], ['Harrison', 49], ['Fernandez', 49], ['McDonald', 48], ['Woods', 48],
  ['Washington', 48], ['Kennedy', 47], ['Wells', 47], ['Vargas', 46], ['Henry', 46], ['Chen', 46],
  ['Freeman', 45], ['Webb', 45], ['Tucker', 45], ['Guzman', 44], ['Burns', 44], ['Crawford', 44],
  ['Olson', 43], ['Simpson', 43], ['Porter', 43], ['Hunter', 42], ['Gordon', 42], ['Mendez', 42],
  ['Silva', 41], ['Shaw', 41], ['Snyder', 41], ['Mason', 40], ['Dixon', 40], ['Munoz', 40],
  ['Hunt', 39], ['Hicks', 39], ['Holmes', 39], ['Palmer', 38], ['Wagner', 38], ['Black', 38],
  ['Robertson', 38], ['Boyd', 37], ['Rose', 37], ['Stone', 37], ['Salazar', 37], ['Fox', 36],
  ['Warren', 36], ['Mills', 36], ['Meyer', 35], ['Rice', 35], ['Schmidt', 35], ['Garza', 35],
  ['Daniels', 34], ['Ferguson', 34], ['Nichols', 34], ['Stephens', 33], ['Soto', 33], ['Weaver', 33],
  ['Ryan', 33], ['Gardner', 32], ['Payne', 32], ['Grant', 32], ['Dunn', 32], ['Kelley', 31],
  ['Spencer', 31], ['Hawkins', 31], ['Arnold', 31], ['Pierce', 30], ['Vazquez', 30], ['Hansen', 30],
  ['Peters', 30], ['Santos', 30], ['Hart', 29], ['Bradley', 29], ['Knight', 29], ['Elliott', 29],
  ['Cunningham', 28], ['Duncan', 28], ['Armstrong', 28], ['Hudson', 28], ['Carroll', 28], ['Lane', 27],
  ['Riley', 27], ['Andrews', 27], ['Alvarado', 27], ['Ray', 27], ['Delgado', 26], ['Berry', 26],
  ['Perkins', 26], ['Hoffman', 26], ['Johnston', 26], ['Matthews', 26], ['Pena', 25], ['Richards', 25],
  ['Contreras', 25], ['Willis', 25], ['Carpenter', 25], ['Lawrence', 25], ['Sandoval', 24], ['Guerrero', 24],
  ['George', 24], ['Chapman', 24], ['Rios', 24], ['Estrada', 24], ['Ortega', 24], ['Watkins', 24],
  ['Greene', 23], ['Nunez', 23], ['Wheeler', 23], ['Valdez', 23], ['Harper', 23], ['Burke', 23],
  ['Larson', 23], ['Santiago', 22], ['Maldonado', 22], ['Morrison', 22], ['Franklin', 22], ['Carlson', 22],
  ['Austin', 22], ['Dominguez', 22], ['Carr', 21], ['Lawson', 21], ['Jacobs', 21], ["O'Brien", 21],
  ['Lynch', 21], ['Singh', 21], ['Vega', 21], ['Bishop', 21], ['Montgomery', 21], ['Oliver', 20],
  ['Jensen', 20], ['Harvey', 20], ['Williamson', 20], ['Gilbert', 20], ['Dean', 20], ['Sims', 20],
  ['Espinoza', 20], ['Howell', 20], ['Li', 20], ['Wong', 20], ['Reid', 20], ['Hanson', 19],
  ['Le', 19], ['McCoy', 19], ['Garrett', 19], ['Burton', 19], ['Fuller', 19], ['Wang', 19],
  ['Weber', 19], ['Welch', 19], ['Rojas', 19], ['Lucas', 19], ['Marquez', 18], ['Fields', 18],
  ['Park', 18], ['Yang', 18], ['Little', 18], ['Banks', 18], ['Padilla', 18], ['Day', 18],
  ['Walsh', 18], ['Bowman', 18], ['Schultz', 18], ['Luna', 18], ['Fowler', 18], ['Mejia', 18],
  ['Davidson', 17], ['Acosta', 17], ['Brewer', 17], ['May', 17], ['Holland', 17], ['Juarez', 17],
  ['Newman', 17], ['Pearson', 17], ['Curtis', 17], ['Cortez', 17], ['Douglas', 17], ['Schneider', 17],
  ['Joseph', 17], ['Barrett', 17], ['Navarro', 17], ['Figueroa', 16], ['Keller', 16], ['Avila', 16],
  ['Wade', 16], ['Molina', 16], ['Stanley', 16], ['Hopkins', 16], ['Campos', 16], ['Barnett', 16],
  ['Bates', 16], ['Chambers', 16], ['Caldwell', 16], ['Beck', 16], ['Lambert', 16], ['Miranda', 16],
  ['Byrd', 16], ['Craig', 16], ['Ayala', 16], ['Lowe', 16], ['Frazier', 15], ['Powers', 15],
  ['Neal', 15], ['Leonard', 15], ['Gregory', 15], ['Carrillo', 15], ['Sutton', 15], ['Fleming', 15],
  ['Rhodes', 15], ['Shelton', 15], ['Schwartz', 15], ['Norris', 15], ['Jennings', 15], ['Watts', 15],
  ['Duran', 15], ['Walters', 15], ['Cohen', 15], ['McDaniel', 15], ['Moran', 15], ['Parks', 15],
  ['Steele', 15], ['Vaughn', 15], ['Becker', 15], ['Holt', 15], ['DeLeon', 14], ['Barker', 14],
  ['Terry', 14], ['Hale', 14], ['Leon', 14], ['Benson', 14], ['Haynes', 14], ['Horton', 14],
  ['Miles', 14], ['Lyons', 14], ['Pham', 14], ['Graves', 14], ['Bush', 14], ['Thornton', 14],
  ['Wolfe', 14], ['Warner', 14], ['Cabrera', 14], ['McKinney', 14], ['Mann', 14], ['Zimmerman', 14],
  ['Dawson', 14], ['Lara', 14], ['Fletcher', 13], ['Page', 13], ['McCarthy', 13], ['Love', 13],
  ['Robles', 13], ['Cervantes', 13], ['Solis', 13], ['Erickson', 13], ['Reeves', 13], ['Chang', 13],
  ['Klein', 13], ['Salinas', 13], ['Fuentes', 13], ['Baldwin', 13], ['Daniel', 13], ['Simon', 13],
  ['Velasquez', 13], ['Hardy', 13], ['Higgins', 13], ['Aguirre', 13], ['Lin', 13], ['Cummings', 13],
  ['Chandler', 13], ['Sharp', 13], ['Barber', 13], ['Bowen', 13], ['Ochoa', 13], ['Dennis', 13],
  ['Robbins', 12], ['Liu', 12], ['Ramsey', 12], ['Francis', 12], ['Griffith', 12], ['Paul', 12],
  ['Blair', 12], ["O'Connor", 12], ['Cardenas', 12], ['Pacheco', 12], ['Cross', 12], ['Calderon', 12],
  ['Quinn', 12], ['Moss', 12], ['Swanson', 12], ['Chan', 12], ['Rivas', 12], ['Khan', 12],
  ['Rodgers', 12], ['Serrano', 12], ['Fitzgerald', 12], ['Rosales', 12], ['Stevenson', 12], ['Christensen', 12],
  ['Manning', 12], ['Gill', 12], ['Curry', 12], ['McLaughlin', 12], ['Harmon', 12], ['McGee', 12],
  ['Gross', 12], ['Doyle', 12], ['Garner', 12], ['Newton', 12], ['Burgess', 12], ['Reese', 12],
  ['Walton', 12], ['Blake', 12], ['Trujillo', 11], ['Adkins', 11], ['Brady', 11], ['Goodman', 11],
  ['Roman', 11], ['Webster', 11], ['Goodwin', 11], ['Fischer', 11], ['Huang', 11], ['Potter', 11],
  ['Delacruz', 11], ['Montoya', 11], ['Todd', 11], ['Wu', 11], ['Hines', 11], ['Mullins', 11],
  ['Castaneda', 11], ['Malone', 11], ['Cannon', 11], ['Tate', 11], ['Mack', 11], ['Sherman', 11],
  ['Hubbard', 11], ['Hodges', 11], ['Zhang', 11], ['Guerra', 11], ['Wolf', 11], ['Valencia', 11],
  ['Saunders', 11], ['Franco', 11], ['Rowe', 11], ['Gallagher', 11], ['Farmer', 11], ['Hammond', 11],
  ['Hampton', 11], ['Townsend', 11], ['Ingram', 11], ['Wise', 11],
];

/** Roots and endings for the long tail of surnames (Harwell, Ashford, Kessling, ...). */
// prettier-ignore
const TAIL_ROOTS = [
  'Ash', 'Bar', 'Black', 'Brad', 'Brook', 'Burn', 'Cald', 'Carl', 'Chad', 'Cran', 'Dal', 'Dorn',
  'Eld', 'Fair', 'Fen', 'Fors', 'Gar', 'Glen', 'Gold', 'Hal', 'Har', 'Hart', 'Haw', 'Hol',
  'Kess', 'Kin', 'Lang', 'Lind', 'Mar', 'Mel', 'Mid', 'Mor', 'North', 'Oak', 'Pem', 'Pres',
  'Rad', 'Ram', 'Red', 'Ros', 'Rut', 'Sel', 'Shel', 'Stan', 'Stock', 'Strat', 'Sud', 'Sum',
  'Thorn', 'Tal', 'Wal', 'War', 'Wes', 'Whit', 'Wil', 'Win', 'Wood', 'Yar', 'Bren', 'Coll',
];
// prettier-ignore
const TAIL_ENDINGS = [
  'ford', 'well', 'ton', 'by', 'ley', 'wood', 'field', 'man', 'son', 'er', 'ling', 'den',
  'more', 'stead', 'worth', 'mond', 'wick', 'dale', 'ham', 'land', 'berg', 'ridge', 'ner', 'ett',
];

// prettier-ignore
const FEMALE: ReadonlyArray<readonly [string, number]> = [
  ['Mary', 400], ['Patricia', 250], ['Jennifer', 240], ['Linda', 230], ['Elizabeth', 210], ['Barbara', 200],
  ['Susan', 190], ['Jessica', 180], ['Sarah', 170], ['Karen', 170], ['Lisa', 160], ['Nancy', 150],
  ['Betty', 140], ['Sandra', 135], ['Margaret', 135], ['Ashley', 130], ['Kimberly', 125], ['Emily', 120],
  ['Donna', 115], ['Michelle', 115], ['Carol', 110], ['Amanda', 110], ['Melissa', 105], ['Deborah', 105],
  ['Stephanie', 100], ['Dorothy', 95], ['Rebecca', 95], ['Sharon', 95], ['Laura', 90], ['Cynthia', 90],
  ['Amy', 85], ['Kathleen', 85], ['Angela', 85], ['Shirley', 80], ['Brenda', 80], ['Emma', 80],
  ['Anna', 75], ['Pamela', 75], ['Nicole', 75], ['Samantha', 70], ['Katherine', 70], ['Christine', 70],
  ['Helen', 70], ['Debra', 65], ['Rachel', 65], ['Carolyn', 65], ['Janet', 65], ['Maria', 65],
  ['Catherine', 60], ['Heather', 60], ['Diane', 60], ['Olivia', 60], ['Julie', 55], ['Joyce', 55],
  ['Victoria', 55], ['Ruth', 55], ['Virginia', 50], ['Lauren', 50], ['Kelly', 50], ['Christina', 50],
  ['Joan', 50], ['Evelyn', 50], ['Judith', 50], ['Andrea', 45], ['Hannah', 45], ['Megan', 45],
  ['Cheryl', 45], ['Jacqueline', 45], ['Martha', 45], ['Madison', 40], ['Teresa', 40], ['Gloria', 40],
  ['Sara', 40], ['Janice', 40], ['Ann', 40], ['Kathryn', 40], ['Abigail', 40], ['Sophia', 40],
  ['Frances', 35], ['Jean', 35], ['Alice', 35], ['Judy', 35], ['Isabella', 35], ['Julia', 35],
  ['Grace', 35], ['Amber', 35], ['Denise', 35], ['Danielle', 35], ['Marilyn', 30], ['Beverly', 30],
  ['Charlotte', 30], ['Natalie', 30], ['Theresa', 30], ['Diana', 30], ['Brittany', 30], ['Doris', 30],
  ['Kayla', 30], ['Alexis', 30], ['Lori', 30], ['Rose', 25], ['Guadalupe', 25], ['Rosa', 25],
  ['Ana', 25], ['Yolanda', 20], ['Mei', 15], ['Priya', 15], ['Aaliyah', 15], ['Jasmine', 25],
  ['Tiffany', 25], ['Crystal', 25],
];

// prettier-ignore
const MALE: ReadonlyArray<readonly [string, number]> = [
  ['James', 420], ['Robert', 400], ['John', 390], ['Michael', 380], ['David', 300], ['William', 290],
  ['Richard', 250], ['Joseph', 220], ['Thomas', 210], ['Christopher', 200], ['Charles', 190], ['Daniel', 180],
  ['Matthew', 170], ['Anthony', 150], ['Mark', 145], ['Donald', 140], ['Steven', 135], ['Andrew', 125],
  ['Paul', 125], ['Joshua', 120], ['Kenneth', 115], ['Kevin', 110], ['Brian', 110], ['George', 105],
  ['Timothy', 100], ['Ronald', 100], ['Jason', 95], ['Edward', 95], ['Jeffrey', 95], ['Ryan', 90],
  ['Jacob', 90], ['Gary', 85], ['Nicholas', 85], ['Eric', 80], ['Jonathan', 80], ['Stephen', 80],
  ['Larry', 75], ['Justin', 75], ['Scott', 75], ['Brandon', 70], ['Benjamin', 70], ['Samuel', 65],
  ['Gregory', 65], ['Alexander', 65], ['Patrick', 60], ['Frank', 60], ['Raymond', 60], ['Jack', 55],
  ['Dennis', 55], ['Jerry', 55], ['Tyler', 50], ['Aaron', 50], ['Jose', 50], ['Adam', 50],
  ['Nathan', 50], ['Henry', 45], ['Zachary', 45], ['Douglas', 45], ['Peter', 45], ['Kyle', 45],
  ['Noah', 40], ['Ethan', 40], ['Jeremy', 40], ['Walter', 40], ['Christian', 40], ['Keith', 40],
  ['Roger', 35], ['Terry', 35], ['Austin', 35], ['Sean', 35], ['Gerald', 35], ['Carl', 35],
  ['Harold', 35], ['Dylan', 30], ['Arthur', 30], ['Lawrence', 30], ['Jordan', 30], ['Jesse', 30],
  ['Bryan', 30], ['Billy', 30], ['Bruce', 30], ['Gabriel', 30], ['Joe', 25], ['Logan', 25],
  ['Alan', 25], ['Juan', 25], ['Albert', 25], ['Willie', 25], ['Elijah', 25], ['Wayne', 25],
  ['Randy', 25], ['Vincent', 25], ['Mason', 25], ['Roy', 25], ['Ralph', 25], ['Bobby', 20],
  ['Russell', 20], ['Bradley', 20], ['Philip', 20], ['Eugene', 20], ['Luis', 20], ['Carlos', 20],
  ['Miguel', 20], ['Wei', 10], ['Raj', 10], ['Darnell', 15], ['Andre', 15], ['Marcus', 20],
  ['Luke', 20], ['Liam', 25],
];

/** Common nicknames by formal given name (what a registration clerk may be told instead). */
// prettier-ignore
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  William: ['Bill', 'Will', 'Billy', 'Liam'], Robert: ['Bob', 'Rob', 'Bobby', 'Bert'],
  Richard: ['Rick', 'Dick', 'Rich'], James: ['Jim', 'Jimmy', 'Jamie'], John: ['Jack', 'Johnny'],
  Michael: ['Mike', 'Mikey'], Joseph: ['Joe', 'Joey'], Thomas: ['Tom', 'Tommy'],
  Christopher: ['Chris', 'Topher'], Charles: ['Charlie', 'Chuck'], Daniel: ['Dan', 'Danny'],
  Matthew: ['Matt'], Anthony: ['Tony'], Donald: ['Don', 'Donnie'], Steven: ['Steve'],
  Andrew: ['Andy', 'Drew'], Joshua: ['Josh'], Kenneth: ['Ken', 'Kenny'], Timothy: ['Tim'],
  Ronald: ['Ron', 'Ronnie'], Edward: ['Ed', 'Eddie', 'Ted'], Jeffrey: ['Jeff'], Nicholas: ['Nick'],
  Jonathan: ['Jon'], Stephen: ['Steve'], Lawrence: ['Larry'], Benjamin: ['Ben'], Samuel: ['Sam'],
  Gregory: ['Greg'], Alexander: ['Alex'], Patrick: ['Pat'], Raymond: ['Ray'], Gerald: ['Jerry'],
  Zachary: ['Zach'], Peter: ['Pete'], Douglas: ['Doug'], Harold: ['Harry', 'Hal'], Albert: ['Al', 'Bert'],
  Philip: ['Phil'], Eugene: ['Gene'], Walter: ['Walt'], Russell: ['Russ'], Bradley: ['Brad'],
  Elizabeth: ['Liz', 'Beth', 'Betsy', 'Eliza'], Margaret: ['Peggy', 'Maggie', 'Meg'],
  Patricia: ['Pat', 'Patty', 'Trish'], Jennifer: ['Jen', 'Jenny'], Barbara: ['Barb'],
  Susan: ['Sue', 'Suzy'], Jessica: ['Jess'], Kimberly: ['Kim'], Deborah: ['Deb', 'Debbie'],
  Debra: ['Deb', 'Debbie'], Rebecca: ['Becky', 'Becca'], Katherine: ['Kate', 'Katie', 'Kathy'],
  Kathleen: ['Kathy', 'Kate'], Catherine: ['Cathy', 'Kate'], Christine: ['Chris', 'Tina'],
  Christina: ['Tina', 'Chris'], Dorothy: ['Dot', 'Dottie'], Pamela: ['Pam'], Samantha: ['Sam'],
  Victoria: ['Vicky', 'Tori'], Cynthia: ['Cindy'], Judith: ['Judy'], Abigail: ['Abby'],
  Jacqueline: ['Jackie'], Frances: ['Fran'], Theresa: ['Terry', 'Tess'], Teresa: ['Terry', 'Tess'],
  Alexis: ['Lexi'], Sandra: ['Sandy'], Stephanie: ['Steph'], Nancy: ['Nan'], Virginia: ['Ginny'],
  Amanda: ['Mandy'], Melissa: ['Missy', 'Mel'], Madison: ['Maddie'], Natalie: ['Nat'], Danielle: ['Dani'],
  Beverly: ['Bev'],
};

const SUFFIXES = ['Jr', 'Sr', 'II', 'III'] as const;

export type Sex = 'male' | 'female';

export interface NameTables {
  family: WeightedTable<string>;
  female: WeightedTable<string>;
  male: WeightedTable<string>;
}

let tables: NameTables | undefined;

export function nameTables(): NameTables {
  tables ??= {
    family: weighted(FAMILY),
    female: weighted(FEMALE),
    male: weighted(MALE),
  };
  return tables;
}

/** A family name: about two thirds from the frequency table, the rest from the long tail. */
export function familyName(rng: Rng): string {
  if (rng.chance(0.68)) return rng.pickWeighted(nameTables().family);
  return rng.pick(TAIL_ROOTS) + rng.pick(TAIL_ENDINGS);
}

export function givenName(rng: Rng, sex: Sex): string {
  return rng.pickWeighted(sex === 'female' ? nameTables().female : nameTables().male);
}

/** A middle name or just its initial (registrations often carry only the initial). */
export function middleName(rng: Rng, sex: Sex): string | undefined {
  if (!rng.chance(0.6)) return undefined;
  const name = givenName(rng, sex);
  return rng.chance(0.4) ? name.charAt(0) : name;
}

export function suffix(rng: Rng, sex: Sex): string | undefined {
  return sex === 'male' && rng.chance(0.03) ? rng.pick(SUFFIXES) : undefined;
}

export function nicknameOf(rng: Rng, given: string): string | undefined {
  const options = NICKNAMES[given];
  return options ? rng.pick(options) : undefined;
}
