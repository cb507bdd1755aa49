//! A small circuit with the features a model circuit uses: three advice columns, a gate, a
//! lookup (complex selector, table containing 0) and one instance column with three values
//! laid out like a model's `[commitment, wallet, output]`.

use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance, Selector, TableColumn},
    poly::Rotation,
};
use halo2curves::bn256::Fr;

/// Values looked up must lie in `[0, RANGE)`.
const RANGE: u64 = 16;

#[derive(Clone, Debug)]
pub struct ToyConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    instance: Column<Instance>,
    q_mul: Selector,
    q_range: Selector,
    table: TableColumn,
}

/// Proves knowledge of small `x`, `y` with `x·y = commitment` and `y·wallet = output`.
#[derive(Clone, Debug, Default)]
pub struct ToyCircuit {
    pub x: Fr,
    pub y: Fr,
    pub wallet: Fr,
}

impl ToyCircuit {
    /// The public instances: `[x·y, wallet, y·wallet]`.
    pub fn instances(&self) -> Vec<Fr> {
        vec![self.x * self.y, self.wallet, self.y * self.wallet]
    }
}

impl Circuit<Fr> for ToyCircuit {
    type Config = ToyConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ToyConfig {
        let [a, b, c] = [meta.advice_column(), meta.advice_column(), meta.advice_column()];
        let instance = meta.instance_column();
        for column in [a, b, c] {
            meta.enable_equality(column);
        }
        meta.enable_equality(instance);
        let q_mul = meta.selector();
        let q_range = meta.complex_selector();
        let table = meta.lookup_table_column();

        meta.create_gate("a * b = c", |meta| {
            let q = meta.query_selector(q_mul);
            let [a, b, c] = [a, b, c].map(|column| meta.query_advice(column, Rotation::cur()));
            vec![q * (a * b - c)]
        });
        // Disabled rows look up 0, which the table contains.
        meta.lookup("a in range", |meta| {
            let q = meta.query_selector(q_range);
            vec![(q * meta.query_advice(a, Rotation::cur()), table)]
        });
        ToyConfig { a, b, c, instance, q_mul, q_range, table }
    }

    fn synthesize(&self, config: ToyConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "range table",
            |mut table| {
                for value in 0..RANGE {
                    table.assign_cell(
                        || "value",
                        config.table,
                        value as usize,
                        || Value::known(Fr::from(value)),
                    )?;
                }
                Ok(())
            },
        )?;
        // One region with explicit rows (SimpleFloorPlanner puts every region at row 0).
        let (commitment, wallet, output) = layouter.assign_region(
            || "toy",
            |mut region| {
                for row in 0..2 {
                    config.q_mul.enable(&mut region, row)?;
                    config.q_range.enable(&mut region, row)?;
                }
                region.assign_advice(config.a, 0, Value::known(self.x));
                let y0 = region.assign_advice(config.b, 0, Value::known(self.y)).cell();
                let commitment = region.assign_advice(config.c, 0, Value::known(self.x * self.y)).cell();
                let y1 = region.assign_advice(config.a, 1, Value::known(self.y)).cell();
                let wallet = region.assign_advice(config.b, 1, Value::known(self.wallet)).cell();
                let output = region.assign_advice(config.c, 1, Value::known(self.y * self.wallet)).cell();
                region.constrain_equal(y0, y1);
                Ok((commitment, wallet, output))
            },
        )?;
        layouter.constrain_instance(commitment, config.instance, 0);
        layouter.constrain_instance(wallet, config.instance, 1);
        layouter.constrain_instance(output, config.instance, 2);
        Ok(())
    }
}
